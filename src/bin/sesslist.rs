//! `sesslist`: see `man sesslist`.

fn main() {
    std::process::exit(sess_client::main_sesslist());
}
