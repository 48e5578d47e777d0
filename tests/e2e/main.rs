//! End-to-end tests: the real binaries on real pseudo-terminals.
