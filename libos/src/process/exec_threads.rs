//! `execve` in a process with threads: every other thread ends before the new image runs, and
//! an `execve` called on a thread other than the main one runs the new image on the main
//! environment (POSIX: the other threads are destroyed, the calling one becomes the main thread,
//! the pid stays).
//!
//! The process server ends them: `EXECUTED` names the calling thread, and the server stops and
//! forgets every other thread of the process it made, so no thread outlives the old image
//! whatever this LibOS does. On the main thread that is all. On another thread, the main
//! environment — the one the pid, the parent's watch and the server's records belong to — is
//! stopped first (so it makes no thread meanwhile), the new image goes into it with
//! `EnvironmentReplaceImage`, and `EXEC_HANDOVER` has the server start it and end the caller.

use alloc::vec::Vec;
use core::sync::atomic::Ordering;

use exokernel_abi::{Call, EnvironmentState, KernelError, Slot, initial};
use libposix_sys::errno::Errno;

use super::protocol;
use crate::kernel::call;

/// Which thread calls `execve`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Caller {
    /// The main thread (its environment is the process's).
    MainThread,
    /// Another thread: the new image goes into the main environment.
    OtherThread,
}

/// The calling thread's kind.
pub(super) fn caller() -> Caller {
    if crate::thread::is_main_thread() {
        Caller::MainThread
    } else {
        Caller::OtherThread
    }
}

/// The other threads of this process, found before any is stopped (finding them takes a lock).
pub(super) struct Others {
    caller: Caller,
    /// Whether there are any, or the caller is not the main thread: then the exec has a point of
    /// no return, where they have ended.
    any: bool,
    /// Their environments, in a process without a process server (which stops them itself).
    unregistered: Vec<Slot>,
    /// What the executed file's set-ID bits ask, for `EXECUTED`.
    set_id: super::exec::SetIdFile,
    /// The server changed the process's ids at `EXECUTED`: from then on a failed switch cannot
    /// leave the old image running as it was either.
    ids_changed: bool,
}

impl Others {
    /// The other threads of a process whose `execve` runs on `caller`.
    pub(super) fn find(caller: Caller, set_id: super::exec::SetIdFile) -> Self {
        let any = caller == Caller::OtherThread || crate::thread::registry::has_threads();
        let own = crate::thread::gettid();
        let unregistered = if any && !super::identity::is_registered() {
            crate::thread::registry::live()
                .into_iter()
                .filter(|thread| thread.tid != own)
                .map(|thread| thread.environment)
                .collect()
        } else {
            Vec::new()
        };
        Others {
            caller,
            any,
            unregistered,
            set_id,
            ids_changed: false,
        }
    }

    /// Whether [`Self::end`] passed a point of no return: a switch failing after it ends the
    /// process.
    pub(super) fn past_no_return(&self) -> bool {
        self.any || self.ids_changed
    }

    /// Ends every thread of this process but the caller, and records the exec with the server
    /// (`EXECUTED`, which stops them: none outlives the old image whatever this LibOS does, and
    /// which sets the ids the new image runs with: the saved ids, and the set-ID file's). On a
    /// thread other than the main one, the main environment is stopped first and keeps the
    /// caller's signal mask for the new image. Takes no lock: a stopped thread may hold one.
    ///
    /// # Errors
    /// `EAGAIN` when the main environment would not stop (nothing has changed then).
    pub(super) fn end(&mut self) -> Result<(), Errno> {
        if self.caller == Caller::OtherThread {
            stop_main_thread()?;
            if let (Some(process), Some(own)) = (
                crate::signal::page::page_if_mapped(),
                crate::signal::page::thread_page_if_mapped(),
            ) {
                process
                    .blocked
                    .store(own.blocked.load(Ordering::Acquire), Ordering::Release);
            }
        }
        if super::identity::is_registered() {
            let answer = super::identity::note_exec(
                crate::thread::gettid(),
                self.set_id.flags(),
                self.set_id.owner_and_group(),
            );
            self.ids_changed = answer & protocol::EXEC_IDS_CHANGED != 0;
        }
        for &environment in &self.unregistered {
            let _ = call(Call::EnvironmentStop { environment });
        }
        Ok(())
    }
}

fn main_environment_state() -> Option<EnvironmentState> {
    call(Call::EnvironmentStatus {
        environment: initial::SELF_ENVIRONMENT,
    })
    .ok()
    .and_then(|words| EnvironmentState::from_code(words[0]).ok())
}

/// On a thread other than the main one: stops the main environment and waits until it is
/// stopped (a stop deferred until some server's reply takes effect when that reply comes; a
/// server owes one reply at a time, so that is soon).
///
/// # Errors
/// `EAGAIN` when it has not stopped within a second (it is started again, unchanged).
fn stop_main_thread() -> Result<(), Errno> {
    let environment = initial::SELF_ENVIRONMENT;
    let stopped_here = match call(Call::EnvironmentStop { environment }) {
        Ok(_) => true,
        // Already stopped (a main thread that called `exit` with threads alive is parked).
        Err(KernelError::InvalidState) => false,
        Err(_) => return Err(Errno::EAGAIN),
    };
    let deadline = crate::kernel::clock_nanoseconds() + 1_000_000_000;
    loop {
        if main_environment_state() == Some(EnvironmentState::Stopped) {
            return Ok(());
        }
        if crate::kernel::clock_nanoseconds() > deadline {
            if stopped_here {
                let _ = call(Call::EnvironmentStart { environment });
            }
            return Err(Errno::EAGAIN);
        }
        crate::kernel::yield_now();
    }
}

/// On a thread other than the main one, once the new image is in the (stopped) main
/// environment: the server starts it and stops this thread as it replies, forgetting it.
pub(super) fn hand_over() -> ! {
    let handed = super::identity::request(
        protocol::EXEC_HANDOVER,
        [crate::thread::gettid() as u64, 0],
        None,
        None,
    );
    if handed.is_err() {
        // No process server: start the new image ourselves.
        let _ = call(Call::EnvironmentStart {
            environment: initial::SELF_ENVIRONMENT,
        });
    }
    crate::kernel::exit(0)
}

/// A switch that failed after the other threads had ended: the process cannot go on as it
/// was, so it ends as Linux ends a process that fails past exec's point of no return.
/// Its status is 127; only kernel calls and IPC are used (a stopped thread may hold a lock).
pub(super) fn failed_past_no_return() -> ! {
    let _ = super::identity::request(protocol::EXIT_GROUP, [127, 0], None, None);
    crate::kernel::exit(127)
}
