//! A crate-neutral picture of a terminal, so that three emulators can be
//! compared cell by cell. The cells, rows and the renderer that turns rows
//! back into escape sequences are the product's own (`sess_daemon`'s
//! `master::paint`), so the fidelity measured here is the one shipped.

use std::collections::BTreeMap;

pub use sess_daemon::master::paint::{Cell, Col, Row, Style, attr, sgr, write_history};

/// Writes a row with trailing blanks trimmed.
pub fn write_row(out: &mut String, row: &Row, style: &mut Style) {
    sess_daemon::master::paint::write_row(out, row, style, 0);
}

/// Everything compared after a round trip.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snap {
    pub rows: Vec<Row>,
    /// The last scrollback rows, oldest first (primary screen).
    pub history: Vec<Row>,
    /// (row, col), 0-based.
    pub cursor: (usize, usize),
    pub cursor_visible: bool,
    pub alt: bool,
    /// Mode name -> value, only the ones the crate exposes.
    pub modes: BTreeMap<&'static str, String>,
    pub title: Option<String>,
}

impl Snap {
    /// The first difference between two snapshots, for the report.
    pub fn diff(&self, other: &Snap) -> Option<String> {
        if self.cursor != other.cursor {
            return Some(format!("cursor {:?} vs {:?}", self.cursor, other.cursor));
        }
        if self.cursor_visible != other.cursor_visible {
            return Some("cursor visibility".into());
        }
        if self.alt != other.alt {
            return Some("alternate screen flag".into());
        }
        if self.modes != other.modes {
            for (k, v) in &self.modes {
                if other.modes.get(k) != Some(v) {
                    return Some(format!("mode {k}: {v} vs {:?}", other.modes.get(k)));
                }
            }
            return Some("modes".into());
        }
        if self.title != other.title {
            return Some(format!("title {:?} vs {:?}", self.title, other.title));
        }
        let rows = |a: &[Row], b: &[Row], what: &str| -> Option<String> {
            if a.len() != b.len() {
                return Some(format!("{what}: {} vs {} rows", a.len(), b.len()));
            }
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                if x.wrapped != y.wrapped {
                    return Some(format!("{what} row {i}: soft-wrap flag"));
                }
                for (j, (c, d)) in x.cells.iter().zip(&y.cells).enumerate() {
                    if c != d {
                        return Some(format!("{what} ({i},{j}): {c:?} vs {d:?}"));
                    }
                }
                if x.cells.len() != y.cells.len() {
                    return Some(format!("{what} row {i}: width"));
                }
            }
            None
        };
        rows(&self.rows, &other.rows, "screen")
            .or_else(|| rows(&self.history, &other.history, "history"))
    }
}
