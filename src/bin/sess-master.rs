//! `sess-master`: the process that holds one session (started by sessd;
//! not a command for users). A binary of its own, so that each session
//! carries only the master's code and data.

fn main() {
    std::process::exit(sess_daemon::master_main());
}
