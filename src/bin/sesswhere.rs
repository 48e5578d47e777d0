//! `sesswhere`: see `man sesswhere`.

fn main() {
    std::process::exit(sess_client::main_sesswhere());
}
