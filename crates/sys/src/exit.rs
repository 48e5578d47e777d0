//! How every binary ends on a usage error: one line, status 2.

/// Prints a command-line error as `PROG: fatal: ...` (help and version go
/// to stdout as usual) and returns the exit status.
pub fn usage(err: clap::Error) -> i32 {
    use clap::error::ErrorKind;
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = err.print();
            0
        }
        _ => {
            let rendered = err.render().to_string();
            let first = rendered.lines().next().unwrap_or("bad usage");
            let text = first.strip_prefix("error: ").unwrap_or(first);
            eprintln!("{}: fatal: {text}; try --help", crate::prog_name());
            2
        }
    }
}
