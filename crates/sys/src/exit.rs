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
        // clap renders the whole help here; one line is the rule.
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand => {
            eprintln!("{}: fatal: no command given; try --help", crate::prog_name());
            2
        }
        _ => {
            let text = summary(&err.render().to_string());
            eprintln!("{}: fatal: {text}; try --help", crate::prog_name());
            2
        }
    }
}

/// The first paragraph of a rendered clap error, on one line: the message
/// and what it lists (the missing arguments), without usage and tips.
fn summary(rendered: &str) -> String {
    let words: Vec<&str> =
        rendered.lines().take_while(|line| !line.trim().is_empty()).map(str::trim).collect();
    let text = words.join(" ");
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    if text.is_empty() { "bad usage".into() } else { text.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn a_clap_error_becomes_one_line_with_what_it_lists() {
        let missing = "error: the following required arguments were not provided:\n  <NAME>\n  \
                       <KEY>\n\nUsage: session set <NAME> <KEY> <VALUE>\n\nFor more information, \
                       try '--help'.\n";
        assert_eq!(
            summary(missing),
            "the following required arguments were not provided: <NAME> <KEY>"
        );
        let unknown = "error: unrecognized subcommand 'bogus'\n\n  tip: a similar subcommand \
                       exists: 'get'\n\nUsage: session [OPTIONS] <COMMAND>\n";
        assert_eq!(summary(unknown), "unrecognized subcommand 'bogus'");
        assert_eq!(summary(""), "bad usage");
    }
}
