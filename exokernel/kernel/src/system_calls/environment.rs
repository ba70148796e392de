//! Environment calls: create, registers, start, stop, status, exit notification, granting
//! capabilities, and the exception-upcall handler.

use exokernel_abi::{ExceptionFrame, KernelError, RegisterSet, Rights, Slot};
use exokernel_capability::{Object, ObjectKind};

use super::object_creation::{self, ObjectKindOperations, refund};
use super::{Caller, Outcome, errors};
use crate::arch::context::USER_FLAGS_FORCED;
use crate::arch::floating_point::FloatingPointState;
use crate::arch::user_memory::{read_user, write_user};
use crate::kernel_state::KernelState;
use crate::objects::environment::{Environment, Life, Watcher, charge_pages};

/// The most capability slots an environment may have.
pub const MAXIMUM_SLOTS: u64 = 4096;

type Result = core::result::Result<[u64; 6], KernelError>;

/// The id of the environment an environment capability names, with `rights`.
fn environment(
    kernel: &KernelState,
    caller: Caller,
    slot: Slot,
    rights: Rights,
) -> core::result::Result<u32, KernelError> {
    let capability = kernel
        .capabilities
        .lookup_kind(caller.slot(slot), ObjectKind::Environment, rights)
        .map_err(errors::lookup)?;
    let Object::Environment(id) = capability.object else {
        return Err(KernelError::WrongKind);
    };
    Ok(id)
}

pub fn create(
    kernel: &mut KernelState,
    caller: Caller,
    quota: Slot,
    address_space_slot: Slot,
    destination: Slot,
    slots: u64,
) -> Result {
    if slots > MAXIMUM_SLOTS {
        return Err(KernelError::InvalidArgument);
    }
    let capability = kernel
        .capabilities
        .lookup_kind(
            caller.slot(address_space_slot),
            ObjectKind::AddressSpace,
            Rights::MAP,
        )
        .map_err(errors::lookup)?;
    let Object::AddressSpace(address_space) = capability.object else {
        return Err(KernelError::WrongKind);
    };
    let operations = ObjectKindOperations {
        table: |kernel: &mut KernelState| &mut kernel.environments,
        object: Object::Environment,
        undo: |kernel: &mut KernelState, environment: Environment| {
            refund(kernel, environment.charge);
            // A space that was never handed out holds nothing to release.
            let _ = kernel.capabilities.destroy_space(environment.space);
        },
    };
    let build = |kernel: &mut KernelState, charge| {
        let space = match kernel.capabilities.create_space(slots) {
            Ok(space) => space,
            Err(error) => {
                kernel.capabilities.refund(charge);
                return Err(errors::create_space(error));
            }
        };
        let Some(environment) = Environment::new(space, address_space, None) else {
            kernel.capabilities.refund(charge);
            let _ = kernel.capabilities.destroy_space(space);
            return Err(KernelError::OutOfMemory);
        };
        Ok(Environment {
            charge: Some(charge),
            ..environment
        })
    };
    let pages = charge_pages(slots);
    let id = object_creation::create(
        kernel,
        caller,
        quota,
        destination,
        pages,
        build,
        &operations,
    )?;
    // One environment uses the new capability space; threads made in it add to the count.
    if let Some(space) = kernel
        .environments
        .get(id)
        .map(|environment| environment.space)
    {
        kernel.space_users.insert(space, 1);
    }
    if let Some(address_space) = kernel.address_spaces.get_mut(address_space) {
        address_space.environment_count += 1;
    }
    Ok([0; 6])
}

/// Copies user-chosen registers into a saved context, keeping the kernel's segment selectors
/// and the flags user code may not choose.
///
/// # Errors
/// `InvalidAddress` when `rip` or `rsp` is outside user space: `iretq` to a non-canonical address
/// faults in the kernel, so such a context must never be installed.
pub fn apply_registers(environment: &mut Environment, registers: &RegisterSet) -> Result {
    // The one check every installed register state passes (canonical user rip and rsp, only
    // the flags a program may choose, the user selectors).
    let installed = exokernel_abi::registers::sanitise(registers)?;
    let registers = &installed.registers;
    let context = &mut environment.context;
    context.rax = registers.rax;
    context.rbx = registers.rbx;
    context.rcx = registers.rcx;
    context.rdx = registers.rdx;
    context.rsi = registers.rsi;
    context.rdi = registers.rdi;
    context.rbp = registers.rbp;
    context.rsp = registers.rsp;
    context.r8 = registers.r8;
    context.r9 = registers.r9;
    context.r10 = registers.r10;
    context.r11 = registers.r11;
    context.r12 = registers.r12;
    context.r13 = registers.r13;
    context.r14 = registers.r14;
    context.r15 = registers.r15;
    context.rip = registers.rip;
    context.rflags = registers.rflags;
    context.cs = installed.code_selector;
    context.ss = installed.stack_selector;
    environment.fs_base = registers.fs_base;
    environment.gs_base = registers.gs_base;
    Ok([0; 6])
}

/// The user-visible registers of a saved context.
#[must_use]
pub fn registers_of(environment: &Environment) -> RegisterSet {
    let context = &environment.context;
    RegisterSet {
        rax: context.rax,
        rbx: context.rbx,
        rcx: context.rcx,
        rdx: context.rdx,
        rsi: context.rsi,
        rdi: context.rdi,
        rbp: context.rbp,
        rsp: context.rsp,
        r8: context.r8,
        r9: context.r9,
        r10: context.r10,
        r11: context.r11,
        r12: context.r12,
        r13: context.r13,
        r14: context.r14,
        r15: context.r15,
        rip: context.rip,
        rflags: context.rflags,
        fs_base: environment.fs_base,
        gs_base: environment.gs_base,
    }
}

pub fn set_registers(
    kernel: &mut KernelState,
    caller: Caller,
    slot: Slot,
    registers: u64,
) -> Result {
    let id = environment(kernel, caller, slot, Rights::WRITE)?;
    let registers: RegisterSet =
        read_user(caller.root, registers).map_err(|_| KernelError::InvalidAddress)?;
    let target = kernel
        .environments
        .get_mut(id)
        .ok_or(KernelError::InvalidState)?;
    if !matches!(target.life, Life::Created | Life::Stopped) {
        return Err(KernelError::InvalidState);
    }
    apply_registers(target, &registers)
}

pub fn get_registers(
    kernel: &mut KernelState,
    caller: Caller,
    slot: Slot,
    registers: u64,
) -> Result {
    let id = environment(kernel, caller, slot, Rights::READ)?;
    let target = kernel
        .environments
        .get(id)
        .ok_or(KernelError::InvalidState)?;
    if matches!(target.life, Life::Runnable | Life::Blocked { .. }) && id != caller.id {
        return Err(KernelError::InvalidState);
    }
    let values = registers_of(target);
    write_user(caller.root, registers, &values).map_err(|_| KernelError::InvalidAddress)?;
    Ok([0; 6])
}

pub fn start(kernel: &mut KernelState, caller: Caller, slot: Slot) -> Result {
    let id = environment(kernel, caller, slot, Rights::CONTROL)?;
    let target = kernel
        .environments
        .get_mut(id)
        .ok_or(KernelError::InvalidState)?;
    if super::interruption::cancel_pending_stop(target) {
        return Ok([0; 6]);
    }
    if !matches!(target.life, Life::Created | Life::Stopped) {
        return Err(KernelError::InvalidState);
    }
    kernel.make_runnable(id);
    Ok([0; 6])
}

pub fn stop(kernel: &mut KernelState, caller: Caller, slot: Slot) -> Outcome {
    let id = match environment(kernel, caller, slot, Rights::CONTROL) {
        Ok(id) => id,
        Err(error) => return Outcome::Return(Err(error)),
    };
    let Some(target) = kernel.environments.get(id) else {
        return Outcome::Return(Err(KernelError::InvalidState));
    };
    match target.life {
        Life::Runnable => {}
        Life::Blocked { on, .. } => {
            return Outcome::Return(super::interruption::stop_blocked(kernel, id, on));
        }
        _ => return Outcome::Return(Err(KernelError::InvalidState)),
    }
    if id == caller.id {
        // Stopping oneself: the call returns success once restarted.
        if let Some(environment) = kernel.environments.get_mut(id) {
            environment.set_result(Ok([0; 6]));
        }
    }
    if let Some(environment) = kernel.environments.get_mut(id) {
        environment.life = Life::Stopped;
    }
    kernel.run_queue.remove(&mut kernel.environments, id);
    if kernel.current == Some(id) {
        kernel.current = None;
    }
    if id == caller.id {
        Outcome::Replaced
    } else {
        Outcome::Return(Ok([0; 6]))
    }
}

pub fn status(kernel: &mut KernelState, caller: Caller, slot: Slot) -> Result {
    let id = environment(kernel, caller, slot, Rights::READ)?;
    let target = kernel
        .environments
        .get(id)
        .ok_or(KernelError::InvalidState)?;
    let (state, code, address) = target.status();
    let time = target.processor_time;
    let nanoseconds = |ticks: u64| {
        let per_microsecond = crate::time::timestamp_ticks_per_microsecond().max(1);
        (u128::from(ticks) * 1000 / u128::from(per_microsecond)) as u64
    };
    Ok([
        state as u64,
        code,
        address,
        nanoseconds(time.user),
        nanoseconds(time.kernel),
        0,
    ])
}

/// Adds a watcher to an environment: the notification is signalled when it ends.
pub fn watch(
    kernel: &mut KernelState,
    caller: Caller,
    slot: Slot,
    notification: Slot,
    bits: u64,
) -> Result {
    let id = environment(kernel, caller, slot, Rights::READ)?;
    // A badged capability signals its badge: the watcher learns which environment ended.
    let (notification, bits) =
        super::notification::signal_target(kernel, caller, notification, bits)?;
    if bits == 0 {
        return Err(KernelError::InvalidArgument);
    }
    let target = kernel
        .environments
        .get_mut(id)
        .ok_or(KernelError::InvalidState)?;
    let watcher = Watcher { notification, bits };
    if target.has_ended() {
        kernel.signal_notification(notification, bits);
        return Ok([0; 6]);
    }
    target
        .watchers
        .push(watcher)
        .map_err(|_| KernelError::InvalidState)?;
    Ok([0; 6])
}

pub fn grant(
    kernel: &mut KernelState,
    caller: Caller,
    slot: Slot,
    source: Slot,
    destination: Slot,
    rights: Rights,
) -> Result {
    let id = environment(kernel, caller, slot, Rights::CONTROL)?;
    let target = kernel
        .environments
        .get(id)
        .ok_or(KernelError::InvalidState)?;
    if target.has_ended() {
        return Err(KernelError::InvalidState);
    }
    let destination =
        exokernel_capability::SlotAddress::new(target.space, u64::from(destination.0));
    kernel
        .capabilities
        .copy(caller.slot(source), destination, rights)
        .map_err(errors::copy)?;
    Ok([0; 6])
}

pub fn set_exception_handler(
    kernel: &mut KernelState,
    caller: Caller,
    entry: u64,
    stack_top: u64,
) -> Result {
    let target = kernel
        .environments
        .get_mut(caller.id)
        .ok_or(KernelError::InvalidState)?;
    target.exception_handler = if entry == 0 {
        None
    } else {
        Some((entry, stack_top & !0xf))
    };
    target.in_exception_handler = false;
    target.foreign_system_calls = false;
    Ok([0; 6])
}

pub fn resume_from_exception(kernel: &mut KernelState, caller: Caller, frame: u64) -> Outcome {
    let frame: ExceptionFrame = match read_user(caller.root, frame) {
        Ok(frame) => frame,
        Err(_) => return Outcome::Return(Err(KernelError::InvalidAddress)),
    };
    let Some(environment) = kernel.environments.get_mut(caller.id) else {
        return Outcome::Replaced;
    };
    if let Err(error) = apply_registers(environment, &frame.registers) {
        return Outcome::Return(Err(error));
    }
    environment.in_exception_handler = false;
    Outcome::Replaced
}

/// Sets the exception handler of the environment in `slot` (CONTROL), with `options`.
pub fn set_exception_handler_of(
    kernel: &mut KernelState,
    caller: Caller,
    slot: Slot,
    entry: u64,
    stack_top: u64,
    options: u64,
) -> Result {
    let id = environment(kernel, caller, slot, Rights::CONTROL)?;
    let options =
        exokernel_abi::HandlerOptions::from_bits(options).ok_or(KernelError::InvalidArgument)?;
    let target = kernel
        .environments
        .get_mut(id)
        .ok_or(KernelError::InvalidState)?;
    if target.has_ended() {
        return Err(KernelError::InvalidState);
    }
    target.exception_handler = (entry != 0).then_some((entry, stack_top & !0xf));
    target.in_exception_handler = false;
    target.foreign_system_calls =
        entry != 0 && options.contains(exokernel_abi::HandlerOptions::FOREIGN_SYSTEM_CALLS);
    Ok([0; 6])
}

/// Delivers an exception to the current environment's handler, or ends it.
pub fn deliver_exception(
    kernel: &mut KernelState,
    id: u32,
    vector: u64,
    error_code: u64,
    fault_address: u64,
) {
    use crate::objects::environment::Ending;
    let Some(environment) = kernel.environments.get(id) else {
        return;
    };
    let root = kernel
        .address_spaces
        .get(environment.address_space)
        .map(|space| space.root);
    let handler = environment
        .exception_handler
        .filter(|_| !environment.in_exception_handler);
    let (Some((entry, stack_top)), Some(root)) = (handler, root) else {
        kernel.end_environment(
            id,
            Ending::Faulted {
                vector,
                address: fault_address,
            },
        );
        return;
    };
    let frame = ExceptionFrame {
        registers: registers_of(environment),
        vector,
        error_code,
        fault_address,
    };
    // The frame and a return-address slot below it must fit above address 0.
    let frame_address = stack_top
        .checked_sub(core::mem::size_of::<ExceptionFrame>() as u64 + 8)
        .map(|address| address & !0xf)
        .filter(|&address| address >= 8);
    let written = frame_address.map(|address| write_user(root, address, &frame));
    let (Some(frame_address), Some(Ok(()))) = (frame_address, written) else {
        // The handler's stack is unusable: the exception cannot be delivered.
        kernel.end_environment(
            id,
            Ending::Faulted {
                vector,
                address: fault_address,
            },
        );
        return;
    };
    let Some(environment) = kernel.environments.get_mut(id) else {
        return;
    };
    // As if called: a return-address slot below a 16-byte-aligned frame. The handler's entry
    // passes the same check as any installed context: an entry outside user space ends the
    // environment instead of reaching `iretq`.
    let handler_registers = RegisterSet {
        rip: entry,
        // Wraps only for a frame at address 0, which the check then refuses.
        rsp: frame_address.wrapping_sub(8),
        rdi: frame_address,
        rflags: USER_FLAGS_FORCED,
        ..frame.registers
    };
    if apply_registers(environment, &handler_registers).is_err() {
        kernel.end_environment(
            id,
            Ending::Faulted {
                vector,
                address: fault_address,
            },
        );
        return;
    }
    environment.in_exception_handler = true;
}

/// Creates a thread of the process `process_slot` names: a new environment sharing that
/// environment's capability space and address space.
pub fn create_thread(
    kernel: &mut KernelState,
    caller: Caller,
    quota: Slot,
    process_slot: Slot,
    destination: Slot,
) -> Result {
    let process = environment(kernel, caller, process_slot, Rights::CONTROL)?;
    let (space, address_space) = match kernel.environments.get(process) {
        Some(environment) if !environment.has_ended() => {
            (environment.space, environment.address_space)
        }
        _ => return Err(KernelError::InvalidState),
    };
    let operations = ObjectKindOperations {
        table: |kernel: &mut KernelState| &mut kernel.environments,
        object: Object::Environment,
        undo: |kernel: &mut KernelState, environment: Environment| {
            refund(kernel, environment.charge);
        },
    };
    let build =
        |kernel: &mut KernelState, charge| match Environment::new(space, address_space, None) {
            Some(environment) => Ok(Environment {
                charge: Some(charge),
                ..environment
            }),
            None => {
                kernel.capabilities.refund(charge);
                Err(KernelError::OutOfMemory)
            }
        };
    object_creation::create(
        kernel,
        caller,
        quota,
        destination,
        charge_pages(0),
        build,
        &operations,
    )?;
    *kernel.space_users.entry(space).or_insert(1) += 1;
    if let Some(address_space) = kernel.address_spaces.get_mut(address_space) {
        address_space.environment_count += 1;
    }
    Ok([0; 6])
}

/// Exec in place: replaces an environment's address space and registers, keeping its identity —
/// its capability space, its watchers, every capability others hold to it.
pub fn replace_image(
    kernel: &mut KernelState,
    caller: Caller,
    slot: Slot,
    address_space_slot: Slot,
    registers: u64,
) -> Outcome {
    let outcome = (|| -> core::result::Result<u32, KernelError> {
        let id = environment(kernel, caller, slot, Rights::CONTROL)?;
        let capability = kernel
            .capabilities
            .lookup_kind(
                caller.slot(address_space_slot),
                ObjectKind::AddressSpace,
                Rights::MAP,
            )
            .map_err(errors::lookup)?;
        let Object::AddressSpace(new_space) = capability.object else {
            return Err(KernelError::WrongKind);
        };
        let registers: RegisterSet =
            read_user(caller.root, registers).map_err(|_| KernelError::InvalidAddress)?;
        let floating_point = FloatingPointState::try_new().ok_or(KernelError::OutOfMemory)?;
        let target = kernel
            .environments
            .get_mut(id)
            .ok_or(KernelError::InvalidState)?;
        if id != caller.id && !matches!(target.life, Life::Created | Life::Stopped) {
            return Err(KernelError::InvalidState);
        }
        apply_registers(target, &registers)?;
        target.floating_point = floating_point;
        target.exception_handler = None;
        target.in_exception_handler = false;
        target.foreign_system_calls = false;
        let old_space = core::mem::replace(&mut target.address_space, new_space);
        if let Some(space) = kernel.address_spaces.get_mut(new_space) {
            space.environment_count += 1;
        }
        if let Some(space) = kernel.address_spaces.get_mut(old_space) {
            space.environment_count = space.environment_count.saturating_sub(1);
            if space.environment_count == 0 && space.unreferenced {
                kernel
                    .work
                    .push(crate::reclamation::WorkItem::ForgetAddressSpace(old_space));
            }
        }
        Ok(id)
    })();
    match outcome {
        Ok(id) if id == caller.id => Outcome::Replaced,
        Ok(_) => Outcome::Return(Ok([0; 6])),
        Err(error) => Outcome::Return(Err(error)),
    }
}
