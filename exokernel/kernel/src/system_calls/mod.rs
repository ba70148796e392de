//! Kernel-call dispatch: decode the caller's registers once into a typed [`Call`], run it, and
//! put the result back in the caller's registers (or block it, or replace its context).
//!
//! One file per object family; each handler validates everything it is given and changes
//! nothing when it fails.

pub mod binding;
mod capability;
pub mod channel;
mod environment;
pub mod errors;
mod foreign;
mod futex;
pub mod interruption;
mod ipc;
mod memory;
mod miscellaneous;
mod notification;
mod object_creation;
pub mod timer;

use exokernel_abi::{Call, KernelError, RawCall, Slot};
use exokernel_capability::{SlotAddress, SpaceId};

use crate::arch::user_paging::UserPageTables;
use crate::kernel_state::KernelState;
use crate::objects::environment::HeldResult;
use crate::reclamation::CALL_WORK_BUDGET;

pub use environment::{apply_registers, deliver_exception};

/// What a call did with its caller.
pub enum Outcome {
    /// Return these words (or this error) to the caller.
    Return(Result<[u64; 6], KernelError>),
    /// The caller blocked; its result is written when it is woken.
    Blocked,
    /// The caller's context was replaced or it ended; write nothing.
    Replaced,
    /// The call queued reclamation work: return `result` once the work queue has reached
    /// position `until`; until then the call is restarted, doing a bounded step of the queue
    /// each time. A `None` result re-executes the call when the work is done (a revoke that
    /// stopped part way).
    AfterWork {
        result: Option<Result<[u64; 6], KernelError>>,
        until: u64,
    },
}

impl From<Result<[u64; 6], KernelError>> for Outcome {
    fn from(result: Result<[u64; 6], KernelError>) -> Self {
        Self::Return(result)
    }
}

/// The calling environment: its id, capability space and address space.
#[derive(Clone, Copy)]
pub struct Caller {
    /// Environment id.
    pub id: u32,
    /// Its capability space.
    pub space: SpaceId,
    /// Its address space's page tables.
    pub root: UserPageTables,
}

impl Caller {
    /// The address of `slot` in the caller's space.
    #[must_use]
    pub fn slot(&self, slot: Slot) -> SlotAddress {
        SlotAddress::new(self.space, u64::from(slot.0))
    }
}

/// Runs the system call the current environment just made.
pub fn dispatch(kernel: &mut KernelState) {
    let Some(id) = kernel.current else { return };
    let Some(environment) = kernel.environments.get(id) else {
        return;
    };
    // The call's registers, read in place (a copy of the whole frame costs more under TCG).
    let context = &environment.context;
    let raw = RawCall {
        number: context.rax,
        arguments: [
            context.rdi,
            context.rsi,
            context.rdx,
            context.r10,
            context.r8,
            context.r9,
        ],
    };
    let Some(root) = kernel
        .address_spaces
        .get(environment.address_space)
        .map(|space| space.root)
    else {
        return;
    };
    let caller = Caller {
        id,
        space: environment.space,
        root,
    };
    // A call that queued work returns only once that work is done: do a step of it now.
    if let Some(held) = kernel
        .environments
        .get_mut(id)
        .and_then(|environment| environment.held_result.take())
    {
        if !finish_work(kernel, id, held) {
            return;
        }
        if held.result.is_some() {
            return;
        }
    }
    let outcome = match Call::decode(&raw) {
        Ok(call) => execute(kernel, caller, call),
        Err(KernelError::UnknownCall) if foreign::deliver(kernel, id) => Outcome::Replaced,
        Err(error) => Outcome::Return(Err(error)),
    };
    match outcome {
        Outcome::Return(result) => {
            if let Some(environment) = kernel.environments.get_mut(id)
                && !environment.has_ended()
            {
                environment.set_result(result);
            }
        }
        Outcome::AfterWork { result, until } => {
            let done = finish_work(kernel, id, HeldResult { result, until });
            // A call that stopped part way (no result yet) runs again, whether or not its
            // queued work is already done.
            if done
                && result.is_none()
                && let Some(environment) = kernel.environments.get_mut(id)
            {
                environment.restart_call();
            }
        }
        Outcome::Blocked | Outcome::Replaced => {}
    }
}

/// Works off the queue for a caller waiting at `held.until`. Returns whether the caller can go
/// on (the work is done and its result, if any, is set); otherwise the result is held and the
/// call will be restarted.
fn finish_work(kernel: &mut KernelState, id: u32, held: HeldResult) -> bool {
    if kernel.work.completed() < held.until {
        kernel.run_work(CALL_WORK_BUDGET);
    }
    let Some(environment) = kernel.environments.get_mut(id) else {
        return false;
    };
    if environment.has_ended() {
        return false;
    }
    if kernel.work.completed() < held.until {
        environment.held_result = Some(held);
        environment.restart_call();
        return false;
    }
    // With no result, the caller's registers are still its call's: the dispatcher re-executes it.
    if let Some(result) = held.result {
        environment.set_result(result);
    }
    true
}

fn execute(kernel: &mut KernelState, caller: Caller, call: Call) -> Outcome {
    match call {
        Call::CapabilityCopy {
            source,
            destination,
            rights,
        } => capability::copy(kernel, caller, source, destination, rights).into(),
        Call::CapabilityMint {
            source,
            destination,
            rights,
            badge,
        } => capability::mint(kernel, caller, source, destination, rights, badge).into(),
        Call::CapabilityMove {
            source,
            destination,
        } => capability::move_capability(kernel, caller, source, destination).into(),
        Call::CapabilityDelete { slot } => capability::delete(kernel, caller, slot),
        Call::CapabilityRevoke { slot } => capability::revoke(kernel, caller, slot),
        Call::CapabilityIdentify { slot } => capability::identify(kernel, caller, slot).into(),
        Call::QuotaSplit {
            quota,
            destination,
            pages,
        } => memory::split_quota(kernel, caller, quota, destination, pages).into(),
        Call::FrameAllocate {
            quota,
            destination,
            pages,
        } => memory::allocate_frame(kernel, caller, quota, destination, pages).into(),
        Call::AddressSpaceCreate { quota, destination } => {
            memory::create_address_space(kernel, caller, quota, destination).into()
        }
        Call::EndpointCreate { quota, destination } => {
            ipc::create_endpoint(kernel, caller, quota, destination).into()
        }
        Call::NotificationCreate { quota, destination } => {
            notification::create(kernel, caller, quota, destination).into()
        }
        Call::Map {
            address_space,
            frame,
            address,
            first_page,
            pages,
            rights,
        } => memory::map(
            kernel,
            caller,
            address_space,
            frame,
            address.0,
            first_page,
            pages.0,
            rights,
        )
        .into(),
        Call::Unmap {
            address_space,
            address,
            pages,
        } => memory::unmap(kernel, caller, address_space, address.0, pages.0).into(),
        Call::Protect {
            address_space,
            address,
            pages,
            rights,
        } => memory::protect(kernel, caller, address_space, address.0, pages.0, rights).into(),
        Call::MapBatch {
            address_space,
            operations,
            count,
        } => memory::map_batch(kernel, caller, address_space, operations.0, count).into(),
        Call::EnvironmentCreate {
            quota,
            address_space,
            destination,
            slots,
        } => environment::create(kernel, caller, quota, address_space, destination, slots).into(),
        Call::EnvironmentSetRegisters {
            environment,
            registers,
        } => environment::set_registers(kernel, caller, environment, registers.0).into(),
        Call::EnvironmentGetRegisters {
            environment,
            registers,
        } => environment::get_registers(kernel, caller, environment, registers.0).into(),
        Call::EnvironmentStart { environment } => {
            environment::start(kernel, caller, environment).into()
        }
        Call::EnvironmentStop { environment } => environment::stop(kernel, caller, environment),
        Call::EnvironmentStatus { environment } => {
            environment::status(kernel, caller, environment).into()
        }
        Call::EnvironmentWatch {
            environment,
            notification,
            bits,
        } => environment::watch(kernel, caller, environment, notification, bits).into(),
        Call::EnvironmentGrant {
            environment,
            source,
            destination,
            rights,
        } => environment::grant(kernel, caller, environment, source, destination, rights).into(),
        Call::ExceptionHandlerSet { entry, stack_top } => {
            environment::set_exception_handler(kernel, caller, entry.0, stack_top.0).into()
        }
        Call::ExceptionResume { frame } => {
            environment::resume_from_exception(kernel, caller, frame.0)
        }
        Call::IpcCall {
            endpoint,
            word0,
            word1,
            word2,
            transfer,
            receive,
        } => ipc::call(
            kernel,
            caller,
            endpoint,
            [word0, word1, word2],
            transfer.0,
            receive.0,
        ),
        Call::IpcReceive {
            endpoint,
            receive,
            timeout,
        } => ipc::receive(kernel, caller, endpoint, receive.0, timeout),
        Call::IpcReply {
            word0,
            word1,
            word2,
            transfer,
        } => ipc::reply(kernel, caller, [word0, word1, word2], transfer.0).into(),
        Call::NotificationSignal { notification, bits } => {
            notification::signal(kernel, caller, notification, bits).into()
        }
        Call::NotificationWait {
            notification,
            timeout,
        } => notification::wait(kernel, caller, notification, timeout),
        Call::NotificationPoll { notification } => {
            notification::poll(kernel, caller, notification).into()
        }
        Call::FutexWait {
            address,
            expected,
            timeout,
            bitset,
        } => futex::wait(kernel, caller, address.0, expected, timeout, bitset),
        Call::FutexWake {
            address,
            count,
            mask,
        } => futex::wake(kernel, caller, address.0, count, mask).into(),
        Call::FutexRequeue {
            address,
            count,
            target,
            requeue,
            expected,
        } => futex::requeue(
            kernel,
            caller,
            (address.0, count),
            (target.0, requeue),
            expected,
        )
        .into(),
        Call::Yield {} => {
            kernel.preempt();
            Outcome::Return(Ok([0; 6]))
        }
        Call::Exit { status } => {
            kernel.end_environment(
                caller.id,
                crate::objects::environment::Ending::Exited { status },
            );
            Outcome::Replaced
        }
        Call::ConsoleWrite {
            console,
            buffer,
            length,
        } => miscellaneous::console_write(kernel, caller, console, buffer.0, length).into(),
        Call::ConsoleRead {
            console,
            buffer,
            length,
        } => miscellaneous::console_read(kernel, caller, console, buffer.0, length).into(),
        Call::ConsoleNotify {
            console,
            notification,
            bits,
        } => miscellaneous::console_notify(kernel, caller, console, notification, bits).into(),
        Call::KernelLogRead {
            console,
            buffer,
            length,
            position,
        } => miscellaneous::kernel_log_read(kernel, caller, console, buffer.0, length, position)
            .into(),
        Call::ClockRead {} => miscellaneous::clock_read().into(),
        Call::MemoryStatus { quota } => miscellaneous::memory_status(kernel, caller, quota).into(),
        Call::NotificationBind {
            notification,
            endpoint,
        } => binding::bind(kernel, caller, notification, endpoint.0).into(),
        Call::IpcReplyReceive {
            endpoint,
            word0,
            word1,
            word2,
            transfer,
            receive,
        } => ipc::reply_receive(
            kernel,
            caller,
            endpoint,
            [word0, word1, word2],
            transfer.0,
            receive.0,
        ),
        Call::TimerCreate {
            quota,
            destination,
            notification,
            bits,
        } => timer::create(kernel, caller, quota, destination, notification, bits).into(),
        Call::TimerArm {
            timer,
            deadline,
            period,
        } => timer::arm(kernel, caller, timer, deadline, period).into(),
        Call::TimerDisarm { timer } => timer::disarm(kernel, caller, timer).into(),
        Call::ChannelCreate {
            quota,
            first,
            second,
        } => channel::create(kernel, caller, quota, first, second).into(),
        Call::ChannelWatch {
            end,
            notification,
            bits,
        } => channel::watch(kernel, caller, end, notification, bits).into(),
        Call::ChannelDerive {
            source,
            destination,
            keeper,
        } => channel::derive(kernel, caller, source, destination, keeper).into(),
        Call::EnvironmentCreateThread {
            quota,
            process,
            destination,
        } => environment::create_thread(kernel, caller, quota, process, destination).into(),
        Call::CapabilityCopyRange {
            environment,
            source,
            destination,
            count,
        } => capability::copy_range(kernel, caller, environment, source, destination, count).into(),
        Call::EnvironmentReplaceImage {
            environment,
            address_space,
            registers,
        } => environment::replace_image(kernel, caller, environment, address_space, registers.0),
        Call::MappingNext {
            address_space,
            address,
        } => memory::mapping_next(kernel, caller, address_space, address).into(),
        Call::EnvironmentMapBatch {
            environment,
            address_space,
            operations,
            count,
        } => memory::environment_map_batch(
            kernel,
            caller,
            environment,
            address_space,
            operations.0,
            count,
        )
        .into(),
        Call::MappingList {
            address_space,
            address,
            buffer,
            capacity,
        } => {
            memory::mapping_list(kernel, caller, address_space, address, buffer.0, capacity).into()
        }
        Call::FrameAllocateCopy {
            quota,
            destination,
            address_space,
            address,
            options,
            pages,
        } => memory::allocate_frame_copy(
            kernel,
            caller,
            quota,
            destination,
            address_space,
            address.0,
            options,
            pages.0,
        )
        .into(),
        Call::EnvironmentFrameCopy {
            environment,
            quota,
            address_space,
            copies,
            count,
        } => memory::environment_frame_copy(
            kernel,
            caller,
            environment,
            quota,
            address_space,
            copies.0,
            count,
        )
        .into(),
        Call::EnvironmentSetExceptionHandler {
            environment,
            entry,
            stack_top,
            options,
        } => environment::set_exception_handler_of(
            kernel,
            caller,
            environment,
            entry.0,
            stack_top.0,
            options,
        )
        .into(),
    }
}

/// The deadline (nanoseconds since boot) for a timeout in nanoseconds (0 = none). It is
/// checked at each timer tick, so a timeout ends at the first tick at or after it.
#[must_use]
pub fn deadline(timeout_nanoseconds: u64) -> Option<u64> {
    if timeout_nanoseconds == 0 {
        return None;
    }
    Some(crate::time::nanoseconds_since_boot().saturating_add(timeout_nanoseconds))
}
