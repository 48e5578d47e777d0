//! `session`: see `man session`.

fn main() {
    std::process::exit(sess_client::main_session());
}
