//! `sessmenu`: see `man sessmenu`.

fn main() {
    std::process::exit(sess_client::main_sessmenu());
}
