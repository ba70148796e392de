//! Parses the machine-readable test lines that the kernel and user test programs print on the console.
//!
//! ```text
//! test-plan <suite> <count>
//! test-result <suite> <name> pass
//! test-result <suite> <name> fail <free-text reason>
//! ```
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
    /// `test-result <suite> <name> pass|fail [reason]`.
    Result {
        suite: String,
        name: String,
        outcome: TestOutcome,
    },
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
            "expected `test-result <suite> <name> pass|fail [reason]`",
        ));
    };
    let outcome = match verdict {
        "pass" if words.next().is_none() => TestOutcome::Pass,
        "pass" => return Some(malformed("nothing may follow `pass`")),
        "fail" => TestOutcome::Fail(words.collect::<Vec<_>>().join(" ")),
        _ => return Some(malformed("the verdict must be `pass` or `fail`")),
    };
    Some(Ok(ProtocolLine::Result {
        suite: suite.to_string(),
        name: name.to_string(),
        outcome,
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
        ProtocolLine::Result {
            suite: suite.to_string(),
            name: name.to_string(),
            outcome,
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
        ] {
            assert!(matches!(parse_line(line), Some(Err(_))), "{line}");
        }
    }
}
