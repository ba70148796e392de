//! Running part of a check in a child process, for checks that change what cannot be changed
//! back (credentials, limits). The child is this program started afresh (`child NAME
//! ARGUMENT`), not a fork: a spawned program gets a budget of its own, so the body may fork
//! again freely. It inherits our credentials and limits as a fork child would. A failing body
//! reports its reason on the console (`child: …`) and exits 1.

use alloc::format;
use alloc::string::String;

use libos::println;
use libos::process::identity::waitpid;
use libos::test_protocol::CheckOutcome;
use libposix_sys::wait::{WEXITSTATUS, WIFEXITED};

/// A check body run in a child: it gets the argument the check passed.
pub type Body = fn(i32) -> Result<(), String>;

/// Every body by name.
fn bodies() -> impl Iterator<Item = &'static (&'static str, Body)> {
    crate::credential_checks::BODIES
        .iter()
        .chain(crate::limit_checks::BODIES)
        .chain(crate::accounting_checks::BODIES)
        .chain(crate::set_id_checks::BODIES)
        .chain(crate::fork_checks::BODIES)
}

/// Runs body `name` with `argument` in a child and answers its outcome.
///
/// # Errors
/// Why the child could not start, or its reason (printed by the child as `child: …`).
pub fn in_child_with(name: &str, argument: i32) -> CheckOutcome {
    let pid = crate::helpers::start_pid("child", &format!("{name} {argument}"))?;
    let mut status = 0;
    let collected = waitpid(pid, Some(&mut status), 0).map_err(|e| format!("waitpid: {e:?}"))?;
    if collected != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0 {
        return Err(format!(
            "the child failed (status {status:#x}; its reason is on the console)"
        ));
    }
    Ok(())
}

/// Runs body `name` in a child.
///
/// # Errors
/// As [`in_child_with`].
pub fn in_child(name: &str) -> CheckOutcome {
    in_child_with(name, 0)
}

/// The child's side: runs body `name` with `argument`; answers the exit status.
pub fn run(name: &str, argument: i32) -> i32 {
    let Some((_, body)) = bodies().find(|(known, _)| *known == name) else {
        println!("child: no body named {name}");
        return 2;
    };
    match body(argument) {
        Ok(()) => 0,
        Err(reason) => {
            println!("child: {name}: {reason}");
            1
        }
    }
}

/// `Ok` when `result` is exactly `expected`.
///
/// # Errors
/// A description of what came instead.
pub fn expect<T: core::fmt::Debug + PartialEq>(
    what: &str,
    result: T,
    expected: T,
) -> Result<(), String> {
    if result == expected {
        Ok(())
    } else {
        Err(format!("{what}: {result:?}, expected {expected:?}"))
    }
}
