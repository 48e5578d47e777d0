//! `sessd`: the per-user session daemon (and, as `sessd --master`, the
//! process that holds one session).

fn main() {
    std::process::exit(sess_daemon::main());
}
