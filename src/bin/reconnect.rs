//! `reconnect`: see `man reconnect`.

fn main() {
    std::process::exit(sess_client::main_reconnect());
}
