//! The scroll region, which alacritty_terminal keeps private: a handler
//! that passes every call to the emulator and notes the region as the
//! emulator sets and resets it, so a repaint can restore it. It also notes
//! changes a repaint cannot carry, and mends one difference of the emulator
//! from real terminals (ED 2 on a blank screen). (The mouse
//! cursor icon, which the emulator ignores too, is left to the default.)

use alacritty_terminal::Term;
use alacritty_terminal::event::EventListener;
use alacritty_terminal::grid::Dimensions;
use alacritty_terminal::index::Line;
use alacritty_terminal::vte::ansi::*;

/// Top and bottom (exclusive) rows of the scroll region, when narrower than
/// the screen.
pub type Region = Option<(i32, i32)>;

pub struct Tracking<'a, L: EventListener> {
    pub term: &'a mut Term<L>,
    pub region: &'a mut Region,
    /// Set when state that a repaint does not carry changes.
    pub lossy: &'a mut bool,
}

macro_rules! forward {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {
        $(fn $name(&mut self, $($arg: $ty),*) { self.term.$name($($arg),*) })*
    };
}

/// Forwards calls that change what a repaint does not restore.
macro_rules! forward_lossy {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {
        $(fn $name(&mut self, $($arg: $ty),*) {
            *self.lossy = true;
            self.term.$name($($arg),*)
        })*
    };
}

impl<L: EventListener> Handler for Tracking<'_, L> {
    /// As alacritty_terminal does: an invalid region is ignored; a valid one
    /// is clamped to the screen.
    fn set_scrolling_region(&mut self, top: usize, bottom: Option<usize>) {
        let rows = self.term.screen_lines() as i32;
        let bottom = bottom.map_or(rows, |b| b as i32);
        if (top as i32) < bottom {
            let region = ((top as i32 - 1).min(rows), bottom.min(rows));
            *self.region = (region != (0, rows)).then_some(region);
        }
        self.term.set_scrolling_region(top, Some(bottom as usize));
    }

    /// As alacritty_terminal does, except that ED 2 on a blank screen with
    /// no scrollback leaves the scrollback empty: the emulator scrolls one
    /// blank row into it there, which no terminal does.
    fn clear_screen(&mut self, mode: ClearMode) {
        let grid = self.term.grid();
        let blank = matches!(mode, ClearMode::All)
            && grid.history_size() == 0
            && (0..grid.screen_lines() as i32).all(|line| grid[Line(line)].is_clear());
        self.term.clear_screen(mode);
        if blank {
            self.term.grid_mut().clear_history();
        }
    }

    fn reset_state(&mut self) {
        *self.region = None;
        *self.lossy = false;
        self.term.reset_state();
    }

    fn configure_charset(&mut self, index: CharsetIndex, charset: StandardCharset) {
        *self.lossy |= charset != StandardCharset::Ascii;
        self.term.configure_charset(index, charset);
    }

    fn set_active_charset(&mut self, index: CharsetIndex) {
        *self.lossy |= index != CharsetIndex::G0;
        self.term.set_active_charset(index);
    }

    forward_lossy! {
    set_cursor_style(a0: Option<CursorStyle>);
    set_cursor_shape(a0: CursorShape);
    set_horizontal_tabstop();
    clear_tabs(a0: TabulationClearMode);
    set_tabs(a0: u16);
    set_color(a0: usize, a1: Rgb);
    push_title();
    push_keyboard_mode(a0: KeyboardModes);
    set_keyboard_mode(a0: KeyboardModes, a1: KeyboardModesApplyBehavior);
    set_modify_other_keys(a0: ModifyOtherKeys);
    set_scp(a0: ScpCharPath, a1: ScpUpdateMode);
    }

    forward! {
    set_title(a0: Option<String>);
    input(a0: char);
    goto(a0: i32, a1: usize);
    goto_line(a0: i32);
    goto_col(a0: usize);
    insert_blank(a0: usize);
    move_up(a0: usize);
    move_down(a0: usize);
    identify_terminal(a0: Option<char>);
    device_status(a0: usize);
    move_forward(a0: usize);
    move_backward(a0: usize);
    move_down_and_cr(a0: usize);
    move_up_and_cr(a0: usize);
    put_tab(a0: u16);
    backspace();
    carriage_return();
    linefeed();
    bell();
    substitute();
    newline();
    scroll_up(a0: usize);
    scroll_down(a0: usize);
    insert_blank_lines(a0: usize);
    delete_lines(a0: usize);
    erase_chars(a0: usize);
    delete_chars(a0: usize);
    move_backward_tabs(a0: u16);
    move_forward_tabs(a0: u16);
    save_cursor_position();
    restore_cursor_position();
    clear_line(a0: LineClearMode);
    reverse_index();
    terminal_attribute(a0: Attr);
    set_mode(a0: Mode);
    unset_mode(a0: Mode);
    report_mode(a0: Mode);
    set_private_mode(a0: PrivateMode);
    unset_private_mode(a0: PrivateMode);
    report_private_mode(a0: PrivateMode);
    set_keypad_application_mode();
    unset_keypad_application_mode();
    dynamic_color_sequence(a0: String, a1: usize, a2: &str);
    reset_color(a0: usize);
    clipboard_store(a0: u8, a1: &[u8]);
    clipboard_load(a0: u8, a1: &str);
    decaln();
    pop_title();
    text_area_size_pixels();
    text_area_size_chars();
    set_hyperlink(a0: Option<Hyperlink>);
    report_keyboard_mode();
    pop_keyboard_modes(a0: u16);
    report_modify_other_keys();
    }
}
