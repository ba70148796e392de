//! Exception upcalls under attack: `ExceptionResume` with kernel or non-canonical addresses and
//! hostile flags; a handler stack near address 0 or unmapped.

use alloc::format;
use core::arch::asm;
use core::sync::atomic::{AtomicU64, Ordering};

use libos::abi::{Call, EnvironmentState, ExceptionFrame, KernelError, RegisterSet, UserAddress};
use libos::kernel::{call, call_raw, exit};

use crate::arena::Arena;
use crate::ensure;
use crate::raw::flags;
use crate::stub::{Stub, stack};
use crate::support::{Outcome, SECOND, release, step};

/// What `ExceptionResume` returned for each hostile frame (0 = it resumed, which it must not).
static RESUME_ERRORS: [AtomicU64; 4] = [const { AtomicU64::new(u64::MAX) }; 4];
/// How often the handler was entered.
static HANDLER_ENTRIES: AtomicU64 = AtomicU64::new(0);
/// Where the final, valid resume lands with a fresh stack.
static LANDING_STACK: AtomicU64 = AtomicU64::new(0);

/// The attacking environment: installs the handler on the stack `handler_stack_top`, then
/// executes `ud2`.
extern "C" fn resume_attacker(handler_stack_top: u64) -> ! {
    let result = call(Call::ExceptionHandlerSet {
        entry: UserAddress(resume_handler as *const () as u64),
        stack_top: UserAddress(handler_stack_top),
    });
    if result.is_err() {
        exit(200);
    }
    // SAFETY: raises the invalid-opcode exception the attack needs.
    unsafe { asm!("ud2") };
    exit(201)
}

/// The handler: tries to resume with hostile frames, then with a valid one whose flags are all
/// set (but TF).
extern "C" fn resume_handler(frame_address: u64) -> ! {
    if HANDLER_ENTRIES.fetch_add(1, Ordering::SeqCst) > 0 {
        // A hostile frame was resumed and faulted again: the attack worked.
        exit(202);
    }
    // SAFETY: the kernel wrote the frame at this address on our handler stack for us.
    let frame = unsafe { &mut *(frame_address as *mut ExceptionFrame) };
    let original = frame.registers;
    let hostile = [
        RegisterSet {
            rip: 0xffff_8000_0000_1000,
            ..original
        },
        RegisterSet {
            rip: 0x0000_8000_0000_0000,
            ..original
        },
        RegisterSet {
            rsp: 0xffff_ffff_ffff_f000,
            ..original
        },
        RegisterSet {
            rsp: 0x0000_8000_0000_1000,
            ..original
        },
    ];
    for (index, registers) in hostile.iter().enumerate() {
        frame.registers = *registers;
        let result = call_raw(
            &Call::ExceptionResume {
                frame: UserAddress(frame_address),
            }
            .encode(),
        );
        RESUME_ERRORS[index].store(result.status, Ordering::SeqCst);
    }
    frame.registers = RegisterSet {
        rip: landing as *const () as u64,
        rsp: LANDING_STACK.load(Ordering::SeqCst),
        rflags: !flags::TRAP,
        ..original
    };
    let _ = call(Call::ExceptionResume {
        frame: UserAddress(frame_address),
    });
    exit(203)
}

/// Where the valid resume lands: exits with its RFLAGS.
extern "C" fn landing() -> ! {
    let rflags: u64;
    // SAFETY: reads RFLAGS through the stack the resume installed.
    unsafe { asm!("pushfq", "pop {}", out(reg) rflags) };
    exit(rflags)
}

/// `ExceptionResume` with kernel/non-canonical `rip` and `rsp` is refused; hostile flags are
/// sanitised.
pub fn exception_resume_hostile_frame() -> Outcome {
    let arena = Arena::new(64)?;
    let (stack_frame, stack_top) = stack(arena.quota(), 4)?;
    let (handler_frame, handler_top) = stack(arena.quota(), 2)?;
    let (landing_frame, landing_top) = stack(arena.quota(), 1)?;
    LANDING_STACK.store(landing_top - 8, Ordering::SeqCst);
    HANDLER_ENTRIES.store(0, Ordering::SeqCst);
    let outcome = (|| {
        let stub = step("stub", Stub::create(arena.quota(), 4))?;
        let registers = RegisterSet {
            rip: resume_attacker as *const () as u64,
            rsp: stack_top - 8,
            rdi: handler_top,
            ..RegisterSet::default()
        };
        stub.start(&registers)?;
        let ended = stub.wait_ended(2 * SECOND);
        stub.delete();
        let errors = RESUME_ERRORS
            .each_ref()
            .map(|error| error.load(Ordering::SeqCst));
        ensure!(
            errors
                .iter()
                .all(|&error| error == KernelError::InvalidAddress.code()),
            "ExceptionResume with kernel/non-canonical rip, rsp returned {errors:?} (ended {ended:?})"
        );
        match ended {
            Some((EnvironmentState::Exited, status, _)) if (200..256).contains(&status) => {
                Err(format!("the attacker ended with marker {status}"))
            }
            Some((EnvironmentState::Exited, rflags, _)) => {
                ensure!(
                    rflags & !flags::INSTALLABLE == 0 && rflags & flags::INTERRUPT != 0,
                    "resumed with all flags set, ran with {rflags:#x}"
                );
                Ok(())
            }
            other => Err(format!("the attacker ended as {other:?}")),
        }
    })();
    release(stack_frame);
    release(handler_frame);
    release(landing_frame);
    outcome?;
    arena.finish()
}

/// A handler that must never run: its stack cannot hold a frame.
extern "C" fn unreachable_handler(_frame: u64) -> ! {
    exit(210)
}

/// Installs a handler whose stack ends at `stack_top`, then faults.
extern "C" fn fault_with_handler_stack(stack_top: u64) -> ! {
    if call(Call::ExceptionHandlerSet {
        entry: UserAddress(unreachable_handler as *const () as u64),
        stack_top: UserAddress(stack_top),
    })
    .is_err()
    {
        exit(211);
    }
    // SAFETY: raises the invalid-opcode exception the attack needs.
    unsafe { asm!("ud2") };
    exit(212)
}

/// Handler stacks near 0 (the frame address would underflow), just too small, unmapped, or at
/// the top of user space: the environment must die of its exception (or have the handler
/// refused), never run the handler or hurt the kernel.
pub fn exception_stack_near_zero_or_unmapped() -> Outcome {
    let arena = Arena::new(64)?;
    let (stack_frame, stack_top) = stack(arena.quota(), 4)?;
    let outcome = (|| {
        for handler_top in [
            8,
            16,
            184,
            191,
            192,
            200,
            0x1000,
            0x0000_6fff_0000_0000,
            libos::abi::USER_ADDRESS_LIMIT - 16,
        ] {
            let stub = step("stub", Stub::create(arena.quota(), 4))?;
            let registers = RegisterSet {
                rip: fault_with_handler_stack as *const () as u64,
                rsp: stack_top - 8,
                rdi: handler_top,
                ..RegisterSet::default()
            };
            stub.start(&registers)?;
            let ended = stub.wait_ended(2 * SECOND);
            stub.delete();
            match ended {
                Some((EnvironmentState::Faulted, 6, _))
                | Some((EnvironmentState::Exited, 211, _)) => {}
                other => {
                    return Err(format!(
                        "handler stack top {handler_top:#x}: the environment ended as {other:?}"
                    ));
                }
            }
        }
        Ok(())
    })();
    release(stack_frame);
    outcome?;
    arena.finish()
}
