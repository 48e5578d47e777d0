//! One error type for the whole benchmark: a sentence for the results table.

use std::fmt;

/// A failed measurement or set-up step, as one line of text.
///
/// The benchmark never stops at a tool's failure: the error is shown in that
/// tool's cell of the table and the other tools are still measured.
#[derive(Debug, Clone)]
pub struct Error(String);

impl Error {
    /// An error with the given text.
    pub fn new(text: impl Into<String>) -> Self {
        Error(text.into())
    }

    /// The same error, with `what` in front to say where it happened.
    pub fn context(self, what: impl fmt::Display) -> Self {
        Error(format!("{what}: {}", self.0))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// Any standard error converts (Error itself does not implement
// std::error::Error, so this blanket impl does not overlap `From<T> for T`).
impl<E: std::error::Error> From<E> for Error {
    fn from(e: E) -> Self {
        Error(e.to_string())
    }
}

/// Result of a benchmark step.
pub type Result<T> = std::result::Result<T, Error>;

/// Returns early with an [`Error`] built from a format string.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::error::Error::new(format!($($arg)*)))
    };
}
pub(crate) use bail;
