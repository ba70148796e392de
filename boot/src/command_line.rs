//! The kernel command line: `word key=value … -- program arguments…`.
//!
//! Words before a lone `--` are kernel options; everything after it is the command for `init`,
//! handed over verbatim (arguments are percent-encoded by `cargo xtask run`, so they contain no
//! spaces).

/// A parsed view of the kernel command line; it borrows the text.
#[derive(Clone, Copy, Debug)]
pub struct KernelOptions<'text> {
    options: &'text str,
    command: Option<&'text str>,
}

impl<'text> KernelOptions<'text> {
    /// Splits `text` into kernel options and the command for init.
    #[must_use]
    pub fn parse(text: &'text str) -> Self {
        let text = text.trim();
        if text == "--" {
            return Self {
                options: "",
                command: None,
            };
        }
        if let Some(rest) = text.strip_prefix("-- ") {
            return Self {
                options: "",
                command: Some(rest.trim()).filter(|c| !c.is_empty()),
            };
        }
        match text.split_once(" -- ") {
            Some((options, command)) => Self {
                options,
                command: Some(command.trim()).filter(|c| !c.is_empty()),
            },
            None => Self {
                options: text.strip_suffix(" --").unwrap_or(text),
                command: None,
            },
        }
    }

    /// Whether the bare word `flag` is present (as in `test`).
    #[must_use]
    pub fn has_flag(&self, flag: &str) -> bool {
        self.options
            .split_ascii_whitespace()
            .any(|word| word == flag)
    }

    /// The value of the last `key=value` word for `key`.
    #[must_use]
    pub fn value(&self, key: &str) -> Option<&'text str> {
        self.options
            .split_ascii_whitespace()
            .rev()
            .filter_map(|word| word.split_once('='))
            .find(|(name, _)| *name == key)
            .map(|(_, value)| value)
    }

    /// The command for init (everything after `--`), if any.
    #[must_use]
    pub fn command(&self) -> Option<&'text str> {
        self.command
    }
}

#[cfg(test)]
mod tests {
    use super::KernelOptions;

    #[test]
    fn splits_options_from_command() {
        let options = KernelOptions::parse("test log=debug -- /bin/sh -c echo%20hi");
        assert!(options.has_flag("test"));
        assert!(!options.has_flag("log"));
        assert_eq!(options.value("log"), Some("debug"));
        assert_eq!(options.command(), Some("/bin/sh -c echo%20hi"));
    }

    #[test]
    fn command_only_and_options_only() {
        assert_eq!(
            KernelOptions::parse("-- /bin/true").command(),
            Some("/bin/true")
        );
        let options = KernelOptions::parse("crash=page-fault");
        assert_eq!(options.value("crash"), Some("page-fault"));
        assert_eq!(options.command(), None);
        assert_eq!(KernelOptions::parse("").command(), None);
        assert_eq!(KernelOptions::parse("test --").command(), None);
        assert!(KernelOptions::parse("test --").has_flag("test"));
    }

    #[test]
    fn last_value_wins_and_flags_after_the_separator_are_not_options() {
        let options = KernelOptions::parse("log=info log=trace -- test");
        assert_eq!(options.value("log"), Some("trace"));
        assert!(!options.has_flag("test"));
    }
}
