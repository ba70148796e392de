//! The one error type of the build tool: a message that tells the user what went wrong and what to do.

use std::fmt;
use std::io;
use std::path::Path;

/// A failure of a build, boot or test step, carrying a complete human-readable message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XtaskError {
    message: String,
}

/// Results of the build tool's operations.
pub type Result<T> = std::result::Result<T, XtaskError>;

impl XtaskError {
    /// An error with the given message (which should say what to do about it).
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// An input/output error, with what was being attempted and on which path.
    pub fn io(action: &str, path: &Path, error: &io::Error) -> Self {
        Self::new(format!("could not {action} {}: {error}", path.display()))
    }

    /// The message, without any prefix.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for XtaskError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.message)
    }
}

impl std::error::Error for XtaskError {}
