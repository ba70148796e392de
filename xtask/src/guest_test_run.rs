//! Boots the guest once in test mode: streams the console through the test protocol and returns the
//! verdict together with everything a caller may want to inspect.

use crate::boot::{BootOutcome, CapturedBoot, boot_captured};
use crate::error::Result;
use crate::guest_test_session::GuestTestSession;
use crate::line_splitter::LineSplitter;
use crate::test_protocol::{MalformedLine, ProtocolLine};
use crate::test_tally::TestTally;

/// A console line as it arrives, with its protocol meaning if it has one.
pub struct ConsoleLine<'a> {
    /// The text, without its line ending.
    pub text: &'a str,
    /// The parsed protocol line, or `None` for ordinary output.
    pub protocol: Option<&'a std::result::Result<ProtocolLine, MalformedLine>>,
}

/// Everything one test boot produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestTestRun {
    /// How the boot ended.
    pub outcome: BootOutcome,
    /// The verdict: passed and failed tests, failures by name.
    pub tally: TestTally,
    /// The whole console output, lines joined with `\n`.
    pub console: String,
}

/// Boots, feeds each console line to the protocol and to `on_line`, and judges the suites.
///
/// `label` names the boot in failures that belong to no single test (a crash, a time-out).
///
/// # Errors
/// Fails only if QEMU cannot run at all; guest failures are in the returned tally.
pub fn run_guest_tests(
    boot: &CapturedBoot<'_>,
    label: &str,
    expected_suites: &[&str],
    on_line: &mut dyn FnMut(ConsoleLine<'_>),
) -> Result<GuestTestRun> {
    let mut session = GuestTestSession::default();
    let mut splitter = LineSplitter::default();
    let mut console = String::new();
    let mut handle_line = |text: &str| {
        let protocol = session.observe(text);
        on_line(ConsoleLine {
            text,
            protocol: protocol.as_ref(),
        });
        console.push_str(text);
        console.push('\n');
    };
    let outcome = boot_captured(boot, &mut |bytes| splitter.push(bytes, &mut handle_line))?;
    splitter.finish(&mut handle_line);
    let tally = session.finish(label, expected_suites, &outcome);
    Ok(GuestTestRun {
        outcome,
        tally,
        console,
    })
}
