//! Threads: environments in this address space, with their own stacks.

use exokernel_abi::{Call, KernelError, PAGE_SIZE, RegisterSet, Slot, initial};

use super::child::{Child, take_slot};
use super::spawn::equip_and_start;
use crate::kernel::call;

/// Where thread stacks go.
const THREAD_STACKS: u64 = 0x0000_4000_0000_0000;

static NEXT_THREAD_STACK: core::sync::atomic::AtomicU64 =
    core::sync::atomic::AtomicU64::new(THREAD_STACKS);

/// Pages of a thread's stack.
const STACK_PAGES: u64 = 16;

/// A child record for a new thread with a fresh stack, and the registers that enter
/// `entry(argument)` on it.
fn thread_child(
    entry: extern "C" fn(u64) -> !,
    argument: u64,
) -> Result<(Child, RegisterSet), KernelError> {
    let stack_base = NEXT_THREAD_STACK.fetch_add(
        (STACK_PAGES + 1) * PAGE_SIZE,
        core::sync::atomic::Ordering::Relaxed,
    );
    let stack =
        crate::memory::allocate_and_map(initial::MEMORY_QUOTA, stack_base, STACK_PAGES, true)?;
    let child = Child {
        environment: take_slot()?,
        notification: take_slot()?,
        address_space: None,
        quota: None,
        frames: alloc::vec![stack],
        pid: None,
    };
    let registers = RegisterSet {
        rip: entry as usize as u64,
        // As if called: the return-address slot below a 16-byte-aligned top.
        rsp: stack_base + STACK_PAGES * PAGE_SIZE - 8,
        rdi: argument,
        ..RegisterSet::default()
    };
    Ok((child, registers))
}

/// Gives back what a thread that could not start had.
fn abandon(mut child: Child, error: KernelError) -> KernelError {
    child.address_space = None;
    child.reap();
    error
}

/// Starts `entry(argument)` as a new environment in this address space with its own stack and
/// a capability space holding copies of our address space, quota and console at the usual
/// slots, plus `extra` (our slot, its slot). The thread never returns: it ends with `exit`.
///
/// # Errors
/// The kernel's error.
pub fn spawn_thread(
    entry: extern "C" fn(u64) -> !,
    argument: u64,
    extra: &[(Slot, Slot)],
) -> Result<Child, KernelError> {
    let (mut child, registers) = thread_child(entry, argument)?;
    let environment = child.environment;
    let result = call(Call::EnvironmentCreate {
        quota: initial::MEMORY_QUOTA,
        address_space: initial::SELF_ADDRESS_SPACE,
        destination: environment,
        slots: 256,
    })
    .and_then(|_| {
        let grants = [
            (environment, initial::SELF_ENVIRONMENT),
            (initial::SELF_ADDRESS_SPACE, initial::SELF_ADDRESS_SPACE),
            (initial::MEMORY_QUOTA, initial::MEMORY_QUOTA),
            (initial::CONSOLE, initial::CONSOLE),
        ];
        equip_and_start(
            &mut child,
            initial::MEMORY_QUOTA,
            grants.iter().chain(extra),
            &registers,
            super::spawn::Registration::None,
        )
    });
    match result {
        Ok(()) => Ok(child),
        Err(error) => Err(abandon(child, error)),
    }
}

/// Starts `entry(argument)` as a thread of this process: an environment sharing our capability
/// space (so slots, frames and the heap are one per process, as the rest of the LibOS assumes)
/// and our address space, with its own stack. The thread never returns: it ends with `exit`,
/// and its capabilities stay with the process.
///
/// # Errors
/// The kernel's error.
pub fn spawn_shared_thread(
    entry: extern "C" fn(u64) -> !,
    argument: u64,
) -> Result<Child, KernelError> {
    let (mut child, registers) = thread_child(entry, argument)?;
    let result = call(Call::EnvironmentCreateThread {
        quota: initial::MEMORY_QUOTA,
        process: initial::SELF_ENVIRONMENT,
        destination: child.environment,
    })
    .and_then(|_| {
        equip_and_start(
            &mut child,
            initial::MEMORY_QUOTA,
            [].iter(),
            &registers,
            super::spawn::Registration::None,
        )
    });
    match result {
        Ok(()) => Ok(child),
        Err(error) => Err(abandon(child, error)),
    }
}
