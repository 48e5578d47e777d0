//! `sessd`: the per-user session daemon (and, as `sessd --master`, the
//! process that holds one session).

use sess_client::cli::Sessd;

fn main() {
    let status = match sess_client::parse::<Sessd>() {
        Ok(args) => sess_daemon::main(args.foreground, args.master),
        Err(status) => status,
    };
    std::process::exit(status);
}
