//! `sess`: see `man sess`.

fn main() {
    std::process::exit(sess_client::main_sess());
}
