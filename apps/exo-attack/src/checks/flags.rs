//! Hostile register and flag state at kernel entry (`syscall` with NT, AC, DF, IOPL, ID, RF,
//! TF or random RFLAGS and random registers), and hostile state installed through
//! `EnvironmentSetRegisters`.

use alloc::format;

use libos::abi::{
    Call, CallNumber, EnvironmentState, KernelError, MapOperation, MapOperationKind, RawCall,
    RegisterSet, UserAddress, initial,
};
use libos::kernel::call;

use crate::arena::Arena;
use crate::ensure;
use crate::raw::{
    HostileState, call_with_state, exit_with_flags_entry, flags, one_call_entry,
    trap_flag_call_entry,
};
use crate::stub::{Stub, one_call_registers, stack};
use crate::support::{Outcome, SECOND, fresh_region, release, step};

/// A small deterministic generator (xorshift64*).
pub struct Random(pub u64);

impl Random {
    /// The next value.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Calls whose right answer we know, made under `rflags`: identify our quota (no memory), and a
/// one-entry `MapBatch` the kernel must read from our memory (which a set DF must not reverse).
fn known_calls_survive(rflags: u64, preserved: [u64; 6]) -> Outcome {
    let state = HostileState { preserved, rflags };
    let identify = Call::CapabilityIdentify {
        slot: initial::MEMORY_QUOTA,
    }
    .encode();
    let expected = step(
        "identify",
        call(Call::CapabilityIdentify {
            slot: initial::MEMORY_QUOTA,
        }),
    )?;
    let result = call_with_state(&identify, &state);
    ensure!(
        result.status == 0 && result.words[0] == expected[0] && result.words[1] == expected[1],
        "identify under rflags {rflags:#x}: status {} words {:?}",
        result.status,
        result.words
    );
    let operation = [MapOperation {
        kind: MapOperationKind::Unmap as u64,
        frame: 0,
        virtual_address: fresh_region(1),
        first_page: 0,
        page_count: 1,
        rights: 0,
    }];
    let batch = Call::MapBatch {
        address_space: initial::SELF_ADDRESS_SPACE,
        operations: UserAddress(operation.as_ptr() as u64),
        count: 1,
    }
    .encode();
    let result = call_with_state(&batch, &state);
    ensure!(
        result.status == 0
            && result.words[0] == 0
            && result.words[1] == KernelError::NotMapped.code(),
        "MapBatch under rflags {rflags:#x}: status {} words {:?}",
        result.status,
        result.words
    );
    Ok(())
}

/// `pushfq; or [rsp], 0x4000; popfq; syscall`: NT must not make the kernel's return fault.
pub fn nested_task_flag() -> Outcome {
    known_calls_survive(0x202 | flags::NESTED_TASK, [0; 6])
}

/// AC set at entry (the kernel must not run with it, nor trip on it).
pub fn alignment_check_flag() -> Outcome {
    known_calls_survive(0x202 | flags::ALIGNMENT_CHECK, [0; 6])
}

/// DF set at entry: the kernel's string copies must still go forwards.
pub fn direction_flag() -> Outcome {
    known_calls_survive(0x202 | flags::DIRECTION, [0; 6])
}

/// IOPL (ignored by `popfq` in ring 3), ID and RF together, and every flag ring 3 can set but TF.
pub fn privileged_flag_bits() -> Outcome {
    known_calls_survive(
        0x202 | flags::IO_PRIVILEGE | flags::IDENTIFICATION | flags::RESUME,
        [0; 6],
    )?;
    known_calls_survive(!flags::TRAP & 0x003f_7fd7, [u64::MAX; 6])
}

/// Random RFLAGS (all but TF) and random callee-saved registers on many calls.
pub fn random_flags_and_registers() -> Outcome {
    let mut random = Random(0x5eed_f1a9);
    for _ in 0..300 {
        let rflags = (random.next() & !flags::TRAP) | 0x202;
        let preserved = [0; 6].map(|_: u64| random.next());
        known_calls_survive(rflags, preserved)?;
    }
    // Random call numbers too, under random flags: only survival is checked here.
    for _ in 0..2000 {
        let number = if random.next().is_multiple_of(4) {
            random.next()
        } else {
            CallNumber::ALL[(random.next() % CallNumber::ALL.len() as u64) as usize] as u64
        };
        // Only calls that cannot block, end or reshape this process (an allow-list, so calls a
        // later ABI adds stay out until listed); the rest are the random child's business.
        let harmless = [
            CallNumber::CapabilityIdentify,
            CallNumber::ClockRead,
            CallNumber::MemoryStatus,
            CallNumber::Yield,
            CallNumber::EnvironmentStatus,
            CallNumber::EnvironmentGetRegisters,
            CallNumber::NotificationPoll,
            CallNumber::FutexWake,
            CallNumber::FutexRequeue,
        ];
        let in_table = CallNumber::ALL.iter().any(|&known| known as u64 == number);
        if in_table && !harmless.iter().any(|&known| known as u64 == number) {
            continue;
        }
        let arguments = [0; 6].map(|_: u64| random.next() % 8);
        let state = HostileState {
            preserved: [0; 6].map(|_: u64| random.next()),
            rflags: (random.next() & !flags::TRAP) | 0x202,
        };
        let _ = call_with_state(&RawCall { number, arguments }, &state);
    }
    Ok(())
}

/// TF at entry: the kernel must not single-step itself; the environment gets at most a debug
/// exception in ring 3 after the call returns. Done by a stub so the trap cannot end us.
pub fn trap_flag() -> Outcome {
    let arena = Arena::new(64)?;
    let (stack_frame, stack_top) = stack(arena.quota(), 1)?;
    let outcome = (|| {
        for (entry, rflags) in [
            (trap_flag_call_entry(), 0x202),
            (one_call_entry(), 0x202 | flags::TRAP),
        ] {
            let stub = step("stub", Stub::create(arena.quota(), 4))?;
            let mut registers = one_call_registers(&Call::ClockRead {}.encode());
            registers.rip = entry;
            registers.rsp = stack_top - 8;
            registers.rflags = rflags;
            stub.start(&registers)?;
            let ended = stub.wait_ended(2 * SECOND);
            stub.delete();
            match ended {
                Some((EnvironmentState::Exited, 0, _))
                | Some((EnvironmentState::Faulted, 1, _)) => {}
                other => return Err(format!("a call with TF set ended as {other:?}")),
            }
        }
        Ok(())
    })();
    release(stack_frame);
    outcome?;
    arena.finish()
}

/// `EnvironmentSetRegisters` with every RFLAGS bit set but TF: the environment must run with
/// only the documented bits (it exits with its RFLAGS as the status).
pub fn installed_flags_are_sanitised() -> Outcome {
    let arena = Arena::new(64)?;
    let (stack_frame, stack_top) = stack(arena.quota(), 1)?;
    let outcome = (|| {
        for rflags in [
            !flags::TRAP,
            flags::NESTED_TASK | flags::IO_PRIVILEGE | 0x202,
            0,
        ] {
            let stub = step("stub", Stub::create(arena.quota(), 4))?;
            let registers = RegisterSet {
                rip: exit_with_flags_entry(),
                rsp: stack_top - 8,
                rflags,
                ..RegisterSet::default()
            };
            stub.start(&registers)?;
            let ended = stub.wait_ended(2 * SECOND);
            stub.delete();
            match ended {
                Some((EnvironmentState::Exited, status, _)) => {
                    ensure!(
                        status & !flags::INSTALLABLE == 0 && status & flags::INTERRUPT != 0,
                        "installed rflags {rflags:#x} ran as {status:#x}"
                    );
                }
                other => return Err(format!("stub with rflags {rflags:#x} ended as {other:?}")),
            }
        }
        Ok(())
    })();
    release(stack_frame);
    outcome?;
    arena.finish()
}

/// `EnvironmentSetRegisters` with non-canonical or kernel `rip`/`rsp` must be refused;
/// non-canonical FS/GS bases must not fault the kernel when loaded; a `rip` at the top of user
/// space faults in ring 3.
pub fn installed_addresses_are_checked() -> Outcome {
    let arena = Arena::new(64)?;
    let base = one_call_registers(&Call::Yield {}.encode());
    let refused = [
        (
            "non-canonical rip",
            RegisterSet {
                rip: 0x0000_8000_0000_0000,
                ..base
            },
        ),
        (
            "kernel rip",
            RegisterSet {
                rip: 0xffff_8000_0000_1000,
                ..base
            },
        ),
        (
            "rip at the user limit",
            RegisterSet {
                rip: libos::abi::USER_ADDRESS_LIMIT,
                ..base
            },
        ),
        (
            "highest rip",
            RegisterSet {
                rip: u64::MAX,
                ..base
            },
        ),
        (
            "non-canonical rsp",
            RegisterSet {
                rsp: 0x0000_8000_0000_1000,
                ..base
            },
        ),
        (
            "kernel rsp",
            RegisterSet {
                rsp: 0xffff_ffff_ffff_f000,
                ..base
            },
        ),
    ];
    for (what, registers) in refused {
        let stub = step("stub", Stub::create(arena.quota(), 4))?;
        let result = stub.set_registers(&registers);
        let started = result.is_ok()
            && call(Call::EnvironmentStart {
                environment: stub.environment,
            })
            .is_ok();
        let ended = if started {
            stub.wait_ended(SECOND)
        } else {
            None
        };
        stub.delete();
        ensure!(
            result == Err(KernelError::InvalidAddress),
            "{what}: EnvironmentSetRegisters returned {result:?} (then ran: {ended:?})"
        );
    }
    let accepted = [
        (
            "non-canonical fs base",
            RegisterSet {
                fs_base: 0x8000_0000_0000_0000,
                ..base
            },
        ),
        (
            "non-canonical gs base",
            RegisterSet {
                gs_base: 0x0000_8000_0000_0000,
                ..base
            },
        ),
        (
            "kernel fs base",
            RegisterSet {
                fs_base: 0xffff_8000_0000_0000,
                ..base
            },
        ),
        (
            "empty stack at the end of user space",
            RegisterSet {
                rsp: 0x0000_8000_0000_0000,
                ..base
            },
        ),
    ];
    // Either refused, or run harmlessly (a non-canonical base is loaded as 0).
    for (what, registers) in accepted {
        let stub = step("stub", Stub::create(arena.quota(), 4))?;
        let installed = stub.set_registers(&registers);
        let started = installed.is_ok()
            && call(Call::EnvironmentStart {
                environment: stub.environment,
            })
            .is_ok();
        let ended = if started {
            stub.wait_ended(2 * SECOND)
        } else {
            None
        };
        stub.delete();
        ensure!(
            installed == Err(KernelError::InvalidAddress)
                || matches!(ended, Some((EnvironmentState::Exited, 0, _))),
            "{what}: installing returned {installed:?}, the stub ended as {ended:?}"
        );
    }
    let top = RegisterSet {
        rip: libos::abi::USER_ADDRESS_LIMIT - 2,
        ..base
    };
    let stub = step("stub", Stub::create(arena.quota(), 4))?;
    let started = stub.start(&top);
    let ended = stub.wait_ended(2 * SECOND);
    stub.delete();
    started?;
    ensure!(
        matches!(ended, Some((EnvironmentState::Faulted, 14, _))),
        "rip at the last user bytes: ended as {ended:?}"
    );
    arena.finish()
}

/// A `syscall` in the last two bytes below `USER_ADDRESS_LIMIT`: the kernel returns to the limit
/// itself (canonical, unmapped), which must fault in ring 3, never in the kernel's `sysret`. The
/// page at the limit can never be mapped.
pub fn syscall_from_top_of_user_space() -> Outcome {
    let top_page = libos::abi::USER_ADDRESS_LIMIT - 4096;
    let arena = Arena::new(32)?;
    let frame = crate::support::slot()?;
    let outcome = (|| {
        step(
            "frame",
            call(Call::FrameAllocate {
                quota: arena.quota(),
                destination: frame,
                pages: libos::abi::PageCount(1),
            }),
        )?;
        let beyond = libos::memory::map(
            initial::SELF_ADDRESS_SPACE,
            frame,
            libos::abi::USER_ADDRESS_LIMIT,
            0,
            1,
            libos::abi::Rights::READ,
        );
        ensure!(
            beyond.is_err(),
            "the page at USER_ADDRESS_LIMIT could be mapped"
        );
        step(
            "map the top page",
            libos::memory::map(
                initial::SELF_ADDRESS_SPACE,
                frame,
                top_page,
                0,
                1,
                libos::abi::Rights::READ | libos::abi::Rights::WRITE | libos::abi::Rights::EXECUTE,
            ),
        )?;
        // SAFETY: the page was just mapped writable; its last two bytes become `syscall`.
        unsafe { core::ptr::write_volatile((top_page + 4094) as *mut [u8; 2], [0x0f, 0x05]) };
        let stub = step("stub", Stub::create(arena.quota(), 4))?;
        let registers = RegisterSet {
            rax: CallNumber::Yield as u64,
            rip: top_page + 4094,
            ..RegisterSet::default()
        };
        let started = stub.start(&registers);
        let ended = stub.wait_ended(2 * SECOND);
        stub.delete();
        started?;
        ensure!(
            matches!(ended, Some((EnvironmentState::Faulted, 14, address)) if address == libos::abi::USER_ADDRESS_LIMIT),
            "a syscall from the top of user space ended as {ended:?}"
        );
        Ok(())
    })();
    let _ = libos::memory::unmap(initial::SELF_ADDRESS_SPACE, top_page, 1);
    release(frame);
    outcome?;
    arena.finish()
}
