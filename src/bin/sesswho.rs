//! `sesswho`: see `man sesswho`.

fn main() {
    std::process::exit(sess_client::main_sesswho());
}
