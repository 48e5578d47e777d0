//! `sesskill`: see `man sesskill`.

fn main() {
    std::process::exit(sess_client::main_sesskill());
}
