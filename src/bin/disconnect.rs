//! `disconnect`: see `man disconnect`.

fn main() {
    std::process::exit(sess_client::main_disconnect());
}
