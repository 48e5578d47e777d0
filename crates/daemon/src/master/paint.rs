//! Rows of cells and the escape sequences that paint them: the repaint
//! side of the screen model (the emulator crate has no serializer).

use compact_str::CompactString;
use std::fmt::Write as _;

/// A colour, normalised: the 16 ANSI colours are indexes 0..=15.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Col {
    #[default]
    Default,
    Idx(u8),
    Rgb(u8, u8, u8),
}

/// Attribute bits.
pub mod attr {
    pub const BOLD: u16 = 1;
    pub const DIM: u16 = 1 << 1;
    pub const ITALIC: u16 = 1 << 2;
    pub const UNDERLINE: u16 = 1 << 3;
    pub const UL_DOUBLE: u16 = 1 << 4;
    pub const UL_CURLY: u16 = 1 << 5;
    pub const UL_DOTTED: u16 = 1 << 6;
    pub const UL_DASHED: u16 = 1 << 7;
    pub const BLINK: u16 = 1 << 8;
    pub const INVERSE: u16 = 1 << 9;
    pub const HIDDEN: u16 = 1 << 10;
    pub const STRIKE: u16 = 1 << 11;
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Style {
    pub fg: Col,
    pub bg: Col,
    /// Underline colour (SGR 58); `Default` when the crate cannot hold one.
    pub ul: Col,
    pub attrs: u16,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cell {
    /// The base character plus combining marks; empty for the right half of
    /// a wide character. Held inline up to 24 bytes.
    pub text: CompactString,
    /// 0 (right half of a wide character), 1 or 2.
    pub width: u8,
    pub style: Style,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row {
    pub cells: Vec<Cell>,
    /// The line continues on the next row (a soft wrap).
    pub wrapped: bool,
}

impl Cell {
    /// A blank: a space, the right half of a wide character, or a tab the
    /// cursor jumped over (the emulator keeps `\t` in its first cell, for
    /// copying).
    fn is_space(&self) -> bool {
        matches!(self.text.as_str(), " " | "" | "\t")
    }

    /// What to write for the cell: a blank is written as a space (a tab
    /// would move the cursor to the next tab stop).
    fn glyph(&self) -> &str {
        if self.is_space() { " " } else { &self.text }
    }
}

impl Row {
    /// Nothing to paint: blanks in the default style, not wrapped.
    pub fn is_blank(&self) -> bool {
        !self.wrapped && self.cells.iter().all(|c| c.is_space() && c.style == Style::default())
    }
}

/// Writes the SGR that turns `from` into `to` (always via a reset: simple,
/// and a repaint is not hot).
pub fn sgr(out: &mut String, from: &Style, to: &Style) {
    if from == to {
        return;
    }
    out.push_str("\x1b[0");
    let a = to.attrs;
    for (bit, code) in [
        (attr::BOLD, "1"),
        (attr::DIM, "2"),
        (attr::ITALIC, "3"),
        (attr::BLINK, "5"),
        (attr::INVERSE, "7"),
        (attr::HIDDEN, "8"),
        (attr::STRIKE, "9"),
        (attr::UNDERLINE, "4"),
        (attr::UL_DOUBLE, "4:2"),
        (attr::UL_CURLY, "4:3"),
        (attr::UL_DOTTED, "4:4"),
        (attr::UL_DASHED, "4:5"),
    ] {
        if a & bit != 0 {
            out.push(';');
            out.push_str(code);
        }
    }
    let col = |out: &mut String, c: Col, base: u8, ext: u8| match c {
        Col::Default => {}
        Col::Idx(i) if i < 8 && base != 0 => {
            let _ = write!(out, ";{}", base + i);
        }
        Col::Idx(i) if i < 16 && base != 0 => {
            let _ = write!(out, ";{}", base + 60 + i - 8);
        }
        Col::Idx(i) => {
            let _ = if ext == 58 { write!(out, ";58:5:{i}") } else { write!(out, ";{ext};5;{i}") };
        }
        Col::Rgb(r, g, b) => {
            let _ = if ext == 58 {
                write!(out, ";58:2::{r}:{g}:{b}")
            } else {
                write!(out, ";{ext};2;{r};{g};{b}")
            };
        }
    };
    col(out, to.fg, 30, 38);
    col(out, to.bg, 40, 48);
    col(out, to.ul, 0, 58);
    out.push('m');
}

/// A row that paints itself: a [`Row`], or a row of an emulator's grid
/// painted straight from its cells (no copy into [`Row`]s for scrollback).
pub trait Paint {
    /// The line continues on the next row (a soft wrap).
    fn wrapped(&self) -> bool;
    /// As [`write_row`].
    fn paint(&self, out: &mut String, style: &mut Style, min: usize);
}

impl Paint for Row {
    fn wrapped(&self) -> bool {
        self.wrapped
    }

    fn paint(&self, out: &mut String, style: &mut Style, min: usize) {
        write_row(out, self, style, min);
    }
}

/// Writes one row's cells starting at the cursor's current place, with
/// trailing default blanks trimmed but at least `min` cells (the blanks up to
/// the cursor are written, as the program wrote them); `style` tracks the
/// pen across calls.
pub fn write_row(out: &mut String, row: &Row, style: &mut Style, min: usize) {
    let end = row
        .cells
        .iter()
        .rposition(|c| !c.is_space() || c.style != Style::default())
        .map_or(0, |i| i + 1)
        .max(min.min(row.cells.len()));
    // A soft-wrapped row must be written in full, so that the terminal wraps
    // it itself and marks the wrap.
    let end = if row.wrapped { row.cells.len() } else { end };
    for c in &row.cells[..end] {
        if c.width == 0 {
            continue;
        }
        sgr(out, style, &c.style);
        *style = c.style;
        out.push_str(c.glyph());
    }
}

/// Writes `rows` as scrollback: each line then a newline, then enough
/// newlines to push them all off a `screen_rows`-tall screen, so that they
/// end in the outer terminal's own scrollback. Starts from a blank screen.
/// A last row that wraps onto the screen is followed by `next` (the
/// screen's first row), so that it wraps there too; the screen is painted
/// over afterwards.
pub fn write_history<R: Paint>(
    out: &mut String,
    rows: impl IntoIterator<Item = R>,
    screen_rows: usize,
    next: Option<&Row>,
) {
    let mut rows = rows.into_iter().peekable();
    if rows.peek().is_none() {
        return;
    }
    let mut style = Style::default();
    let mut wrapped = false;
    out.push_str("\x1b[0m\x1b[H\x1b[J");
    for r in rows {
        r.paint(out, &mut style, 0);
        wrapped = r.wrapped();
        if !wrapped {
            sgr(out, &style, &Style::default());
            style = Style::default();
            out.push_str("\r\n");
        }
    }
    if let Some(next) = next.filter(|_| wrapped) {
        write_row(out, next, &mut style, 1);
    }
    sgr(out, &style, &Style::default());
    for _ in 1..screen_rows {
        out.push('\n');
    }
    out.push_str("\x1b[H");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(text: &str) -> Cell {
        Cell { text: text.into(), width: 1, style: Style::default() }
    }

    #[test]
    fn a_tab_the_cursor_jumped_over_is_painted_as_a_blank() {
        let cells = ["a", "\t", " ", " ", "b", "\t", " "].map(cell).to_vec();
        let mut out = String::new();
        write_row(&mut out, &Row { cells, wrapped: false }, &mut Style::default(), 0);
        assert_eq!(out, "a   b");
        let blank = Row { cells: vec![cell("\t"), cell(" ")], wrapped: false };
        assert!(blank.is_blank());
    }
}
