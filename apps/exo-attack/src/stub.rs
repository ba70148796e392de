//! Stub environments: environments in our own address space, paid from an attacker's quota,
//! started with whatever registers the attack wants (usually the one-call code of `raw`).

use alloc::format;
use alloc::string::String;

use libos::abi::{
    Call, EnvironmentState, KernelError, PageCount, RawCall, RegisterSet, Rights, Slot,
    UserAddress, initial,
};
use libos::kernel::call;
use libos::memory::map;
use libos::slots;

use crate::raw::one_call_entry;
use crate::support::{fresh_region, slot, step, wait_until};

/// An environment we hold a capability to.
pub struct Stub {
    /// Our capability to it.
    pub environment: Slot,
}

impl Stub {
    /// Creates an environment with `slot_count` slots in our address space, charged to `quota`.
    pub fn create(quota: Slot, slot_count: u64) -> Result<Self, KernelError> {
        let environment = slots::allocate().ok_or(KernelError::OutOfMemory)?;
        if let Err(error) = call(Call::EnvironmentCreate {
            quota,
            address_space: initial::SELF_ADDRESS_SPACE,
            destination: environment,
            slots: slot_count,
        }) {
            slots::free(environment);
            return Err(error);
        }
        Ok(Self { environment })
    }

    /// Copies our capability in `source` into its slot `destination`.
    pub fn grant(&self, source: Slot, destination: Slot, rights: Rights) -> Result<(), String> {
        step(
            "grant into stub",
            call(Call::EnvironmentGrant {
                environment: self.environment,
                source,
                destination,
                rights,
            }),
        )
        .map(|_| ())
    }

    /// Installs registers.
    pub fn set_registers(&self, registers: &RegisterSet) -> Result<(), KernelError> {
        call(Call::EnvironmentSetRegisters {
            environment: self.environment,
            registers: UserAddress(core::ptr::from_ref(registers) as u64),
        })
        .map(|_| ())
    }

    /// Installs registers and starts it.
    pub fn start(&self, registers: &RegisterSet) -> Result<(), String> {
        step("set stub registers", self.set_registers(registers))?;
        step(
            "start stub",
            call(Call::EnvironmentStart {
                environment: self.environment,
            }),
        )
        .map(|_| ())
    }

    /// Its state and the status words.
    pub fn status(&self) -> Option<(EnvironmentState, u64, u64)> {
        let words = call(Call::EnvironmentStatus {
            environment: self.environment,
        })
        .ok()?;
        Some((
            EnvironmentState::from_code(words[0]).ok()?,
            words[1],
            words[2],
        ))
    }

    /// Waits up to `nanoseconds` for it to reach `state`.
    pub fn wait_for(&self, state: EnvironmentState, nanoseconds: u64) -> bool {
        wait_until(nanoseconds, || {
            self.status().is_some_and(|(now, _, _)| now == state)
        })
    }

    /// Waits up to `nanoseconds` for it to end; returns how (state, code, address).
    pub fn wait_ended(&self, nanoseconds: u64) -> Option<(EnvironmentState, u64, u64)> {
        let mut last = None;
        wait_until(nanoseconds, || {
            last = self.status();
            matches!(
                last,
                Some((EnvironmentState::Exited | EnvironmentState::Faulted, _, _))
            )
        });
        last.filter(|(state, _, _)| {
            matches!(state, EnvironmentState::Exited | EnvironmentState::Faulted)
        })
    }

    /// Deletes our capability (ending it if it was the last).
    pub fn delete(self) {
        let _ = call(Call::CapabilityDelete {
            slot: self.environment,
        });
        slots::free(self.environment);
    }
}

/// Registers that make the one-call code perform `raw` and exit with its status.
pub fn one_call_registers(raw: &RawCall) -> RegisterSet {
    let [rdi, rsi, rdx, r10, r8, r9] = raw.arguments;
    RegisterSet {
        rax: raw.number,
        rdi,
        rsi,
        rdx,
        r10,
        r8,
        r9,
        rip: one_call_entry(),
        ..RegisterSet::default()
    }
}

/// Starts a stub that makes `call` (slots in it refer to the stub's own space, filled from
/// `grants`: our slot, its slot, rights) and exits with the call's status.
pub fn start_one_call(
    quota: Slot,
    call: Call,
    grants: &[(Slot, Slot, Rights)],
) -> Result<Stub, String> {
    let stub = step("create stub", Stub::create(quota, 4))?;
    for &(source, destination, rights) in grants {
        if let Err(error) = stub.grant(source, destination, rights) {
            stub.delete();
            return Err(error);
        }
    }
    if let Err(error) = stub.start(&one_call_registers(&call.encode())) {
        stub.delete();
        return Err(error);
    }
    Ok(stub)
}

/// A stack of `pages` pages from `quota` mapped in our address space. Returns the frame's slot
/// and the stack's top.
pub fn stack(quota: Slot, pages: u64) -> Result<(Slot, u64), String> {
    let frame = slot()?;
    step(
        "allocate stack",
        call(Call::FrameAllocate {
            quota,
            destination: frame,
            pages: PageCount(pages),
        }),
    )
    .inspect_err(|_| slots::free(frame))?;
    let base = fresh_region(pages);
    step(
        "map stack",
        map(
            initial::SELF_ADDRESS_SPACE,
            frame,
            base,
            0,
            pages,
            Rights::READ | Rights::WRITE,
        ),
    )
    .map_err(|error| format!("{error} (at {base:#x})"))?;
    Ok((frame, base + pages * 4096))
}
