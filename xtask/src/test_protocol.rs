//! Parses the machine-readable test lines that the kernel and user test programs print on the console.
//!
//! ```text
//! test-plan <suite> <count>
//! test-result <suite> <name> pass [covers=<interface>[,<interface>…]]
//! test-result <suite> <name> fail [covers=<interface>[,<interface>…]] <free-text reason>
//! ```
//!
//! `covers=` names the POSIX interfaces a check proves, for the coverage matrix
//! (`docs/posix-coverage.md`): `open` claims the interface's whole documented behaviour,
//! `openat:dirfd` one behaviour of it, `open:ENOSYS` that the call answers `ENOSYS`. An interface
//! is lowercase letters, digits and `_` (a Linux system call or POSIX function name); a behaviour
//! is letters, digits, `_` and `-`. Whether the names exist is checked when the matrix is built.
//!
//! Anything before the keyword on a line is ignored, because firmware can leave text without a line
//! ending on the console just before the guest's first line.

/// The keyword of a plan line.
pub const PLAN_KEYWORD: &str = "test-plan";
/// The keyword of a result line.
pub const RESULT_KEYWORD: &str = "test-result";

/// Whether one test passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestOutcome {
    /// The test passed.
    Pass,
    /// The test failed, with the reason it printed (possibly empty).
    Fail(String),
}

/// One protocol line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtocolLine {
    /// `test-plan <suite> <count>`.
    Plan { suite: String, count: usize },
    /// `test-result <suite> <name> pass|fail [covers=…] [reason]`.
    Result {
        suite: String,
        name: String,
        outcome: TestOutcome,
        /// The interfaces the check proves (empty without `covers=`).
        covers: Vec<CoveredInterface>,
    },
}

/// The prefix of the word that lists the interfaces a check proves.
pub const COVERS_PREFIX: &str = "covers=";

/// One entry of `covers=`: an interface, or one behaviour of it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CoveredInterface {
    /// The interface: a Linux system call or POSIX function name such as `openat`.
    pub interface: String,
    /// The behaviour after the colon, such as `dirfd`; `None` claims the whole interface.
    pub behaviour: Option<String>,
}

impl CoveredInterface {
    /// Parses `interface` or `interface:behaviour`.
    ///
    /// # Errors
    /// A description of what is wrong with the entry.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let (interface, behaviour) = match text.split_once(':') {
            Some((interface, behaviour)) => (interface, Some(behaviour)),
            None => (text, None),
        };
        let interface_character = |character: char| {
            character.is_ascii_lowercase() || character.is_ascii_digit() || character == '_'
        };
        if interface.is_empty() || !interface.chars().all(interface_character) {
            return Err("an interface name is lowercase letters, digits and `_`");
        }
        let behaviour_character = |character: char| {
            character.is_ascii_alphanumeric() || character == '_' || character == '-'
        };
        if let Some(behaviour) = behaviour
            && (behaviour.is_empty() || !behaviour.chars().all(behaviour_character))
        {
            return Err("a behaviour (after `:`) is letters, digits, `_` and `-`");
        }
        Ok(Self {
            interface: interface.to_string(),
            behaviour: behaviour.map(str::to_string),
        })
    }

    /// Parses the value of `covers=`: entries separated by commas.
    ///
    /// # Errors
    /// A description of the first malformed entry.
    pub fn parse_list(text: &str) -> Result<Vec<Self>, &'static str> {
        text.split(',').map(Self::parse).collect()
    }
}

impl std::fmt::Display for CoveredInterface {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.behaviour {
            Some(behaviour) => write!(formatter, "{}:{behaviour}", self.interface),
            None => formatter.write_str(&self.interface),
        }
    }
}

/// A line that starts like a protocol line but does not follow the protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedLine {
    /// The line from the keyword on.
    pub line: String,
    /// What is wrong with it.
    pub problem: &'static str,
}

/// Parses one console line: `None` for ordinary output, otherwise the protocol line or what is wrong
/// with it.
pub fn parse_line(line: &str) -> Option<Result<ProtocolLine, MalformedLine>> {
    let line = line.trim_end();
    let start = [PLAN_KEYWORD, RESULT_KEYWORD]
        .iter()
        .filter_map(|keyword| find_keyword(line, keyword))
        .min()?;
    let line = &line[start..];
    let malformed = |problem| {
        Err(MalformedLine {
            line: line.to_string(),
            problem,
        })
    };
    let mut words = line.split_whitespace();
    let keyword = words.next()?;
    if keyword == PLAN_KEYWORD {
        let (Some(suite), Some(count), None) = (words.next(), words.next(), words.next()) else {
            return Some(malformed("expected `test-plan <suite> <count>`"));
        };
        let Ok(count) = count.parse() else {
            return Some(malformed("the count of a test-plan line is not a number"));
        };
        return Some(Ok(ProtocolLine::Plan {
            suite: suite.to_string(),
            count,
        }));
    }
    let (Some(suite), Some(name), Some(verdict)) = (words.next(), words.next(), words.next())
    else {
        return Some(malformed(
            "expected `test-result <suite> <name> pass|fail [covers=…] [reason]`",
        ));
    };
    if verdict != "pass" && verdict != "fail" {
        return Some(malformed("the verdict must be `pass` or `fail`"));
    }
    let mut words = words.peekable();
    let covers = match words
        .peek()
        .and_then(|word| word.strip_prefix(COVERS_PREFIX))
    {
        Some(list) => match CoveredInterface::parse_list(list) {
            Ok(covers) => {
                words.next();
                covers
            }
            Err(problem) => return Some(malformed(problem)),
        },
        None => Vec::new(),
    };
    let outcome = match verdict {
        "pass" if words.next().is_none() => TestOutcome::Pass,
        "pass" => return Some(malformed("only `covers=…` may follow `pass`")),
        _ => TestOutcome::Fail(words.collect::<Vec<_>>().join(" ")),
    };
    Some(Ok(ProtocolLine::Result {
        suite: suite.to_string(),
        name: name.to_string(),
        outcome,
        covers,
    }))
}

/// The position of `keyword` used as a whole word (followed by whitespace or the line's end).
fn find_keyword(line: &str, keyword: &str) -> Option<usize> {
    line.match_indices(keyword)
        .map(|(position, _)| position)
        .find(|&position| {
            line[position + keyword.len()..]
                .chars()
                .next()
                .is_none_or(char::is_whitespace)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(suite: &str, name: &str, outcome: TestOutcome) -> ProtocolLine {
        covering(suite, name, outcome, &[])
    }

    fn covering(suite: &str, name: &str, outcome: TestOutcome, covers: &[&str]) -> ProtocolLine {
        ProtocolLine::Result {
            suite: suite.to_string(),
            name: name.to_string(),
            outcome,
            covers: covers
                .iter()
                .map(|entry| CoveredInterface::parse(entry).expect("a valid entry"))
                .collect(),
        }
    }

    #[test]
    fn parses_plans_and_results() {
        assert_eq!(
            parse_line("test-plan kernel 12"),
            Some(Ok(ProtocolLine::Plan {
                suite: "kernel".to_string(),
                count: 12
            }))
        );
        assert_eq!(
            parse_line("test-result kernel frame_allocator pass\r"),
            Some(Ok(result("kernel", "frame_allocator", TestOutcome::Pass)))
        );
        assert_eq!(
            parse_line("test-result kernel injected_failure fail expected 1,  got 2"),
            Some(Ok(result(
                "kernel",
                "injected_failure",
                TestOutcome::Fail("expected 1, got 2".to_string())
            )))
        );
        assert_eq!(
            parse_line("test-result user x fail"),
            Some(Ok(result("user", "x", TestOutcome::Fail(String::new()))))
        );
    }

    #[test]
    fn ignores_ordinary_output() {
        assert_eq!(parse_line("hello"), None);
        assert_eq!(parse_line(""), None);
        assert_eq!(parse_line("test-plans are nice"), None);
        assert_eq!(parse_line("test-results: none"), None);
    }

    #[test]
    fn tolerates_leftover_firmware_text_before_the_keyword() {
        assert_eq!(
            parse_line("\x1b[2J\x1b[01;01HBooting from ROM..test-plan kernel 1"),
            Some(Ok(ProtocolLine::Plan {
                suite: "kernel".to_string(),
                count: 1
            }))
        );
    }

    #[test]
    fn reports_malformed_lines() {
        for line in [
            "test-plan kernel",
            "test-plan kernel many",
            "test-plan kernel 1 2",
            "test-result kernel",
            "test-result kernel name",
            "test-result kernel name ok",
            "test-result kernel name pass extra",
            "test-result kernel name pass covers=open extra",
            "test-result kernel name pass covers=",
            "test-result kernel name pass covers=Open",
            "test-result kernel name pass covers=open,,close",
            "test-result kernel name pass covers=open:",
            "test-result kernel name fail covers=open:O_EXCL! reason",
        ] {
            assert!(matches!(parse_line(line), Some(Err(_))), "{line}");
        }
    }

    #[test]
    fn parses_the_interfaces_a_check_covers() {
        assert_eq!(
            parse_line(
                "test-result posix open_creates pass covers=open,openat:dirfd,pipe:EPIPE-after-reader-crash"
            ),
            Some(Ok(covering(
                "posix",
                "open_creates",
                TestOutcome::Pass,
                &["open", "openat:dirfd", "pipe:EPIPE-after-reader-crash"]
            )))
        );
        assert_eq!(
            parse_line(
                "test-result posix open_excl fail covers=open:O_EXCL expected EEXIST, got 0"
            ),
            Some(Ok(covering(
                "posix",
                "open_excl",
                TestOutcome::Fail("expected EEXIST, got 0".to_string()),
                &["open:O_EXCL"]
            )))
        );
        assert_eq!(
            parse_line("test-result posix x fail covers=_sysctl:ENOSYS"),
            Some(Ok(covering(
                "posix",
                "x",
                TestOutcome::Fail(String::new()),
                &["_sysctl:ENOSYS"]
            )))
        );
        let entry = CoveredInterface::parse("openat:dirfd").expect("valid");
        assert_eq!(entry.interface, "openat");
        assert_eq!(entry.behaviour.as_deref(), Some("dirfd"));
        assert_eq!(entry.to_string(), "openat:dirfd");
    }

    #[test]
    fn a_reason_is_only_read_as_covers_directly_after_the_verdict() {
        assert_eq!(
            parse_line("test-result posix x fail expected covers=open"),
            Some(Ok(result(
                "posix",
                "x",
                TestOutcome::Fail("expected covers=open".to_string())
            )))
        );
    }
}
