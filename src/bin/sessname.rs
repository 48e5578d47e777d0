//! `sessname`: see `man sessname`.

fn main() {
    std::process::exit(sess_client::main_sessname());
}
