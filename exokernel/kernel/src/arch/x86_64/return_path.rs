//! How a trap returns to ring 3: `sysretq` when it restores exactly what `iretq` would, else
//! `iretq`.
//!
//! `sysretq` is cheaper but fixed in what it can load: rip from rcx, rflags from r11 (without
//! RF), the user selectors from STAR, and it raises #GP *in ring 0, on the user stack* if rcx is
//! not canonical (the Intel `sysret` flaw). So rather than tracking where a context came from,
//! the decision is made on the values about to be restored (Linux's "opportunistic sysret"):
//! a context saved by the `syscall` entry always qualifies (its rcx and r11 are the rip and
//! rflags `syscall` saved), and one built by exception delivery or `EnvironmentSetRegisters`
//! qualifies only if it happens to be indistinguishable — then either instruction gives the
//! same state.

use super::context::{USER_CODE_SELECTOR, USER_DATA_SELECTOR, USER_FLAGS_FORCED, USER_FLAGS_MASK};
use super::interrupts::TrapFrame;

/// The first address above the lower (user) canonical half.
const USER_ADDRESS_LIMIT: u64 = 0x0000_8000_0000_0000;
/// RFLAGS.TF: `sysretq` restoring TF traps right after the instruction, unlike `iretq`.
const TRAP_FLAG: u64 = 1 << 8;

/// Whether `frame` can be resumed with `sysretq`: a ring-3 frame whose rcx is its rip (canonical
/// user), whose r11 is its rflags, and whose rflags hold only the user-choosable arithmetic
/// and direction flags plus the forced IF and bit 1 (no TF, RF, NT, AC, VM, ID).
#[must_use]
pub fn can_return_with_sysret(frame: &TrapFrame) -> bool {
    let allowed_flags = (USER_FLAGS_MASK & !TRAP_FLAG) | USER_FLAGS_FORCED;
    frame.cs == USER_CODE_SELECTOR
        && frame.ss == USER_DATA_SELECTOR
        && frame.rip < USER_ADDRESS_LIMIT
        && frame.rcx == frame.rip
        && frame.r11 == frame.rflags
        && frame.rflags & !allowed_flags == 0
        && frame.rflags & USER_FLAGS_FORCED == USER_FLAGS_FORCED
}

crate::testing::kernel_test!(sysret_only_for_contexts_it_restores_exactly, || {
    use crate::testing::check;
    let system_call = TrapFrame {
        rip: 0x40_1000,
        rcx: 0x40_1000,
        rflags: 0x246,
        r11: 0x246,
        cs: USER_CODE_SELECTOR,
        ss: USER_DATA_SELECTOR,
        rsp: 0x7000_0000,
        ..TrapFrame::default()
    };
    check!(
        can_return_with_sysret(&system_call),
        "a plain system-call context"
    );
    let refused = [
        (
            "rcx is not rip",
            TrapFrame {
                rcx: 0x40_2000,
                ..system_call
            },
        ),
        (
            "r11 is not rflags",
            TrapFrame {
                r11: 0x202,
                ..system_call
            },
        ),
        (
            "kernel code selector",
            TrapFrame {
                cs: 0x08,
                ..system_call
            },
        ),
        (
            "kernel stack selector",
            TrapFrame {
                ss: 0x10,
                ..system_call
            },
        ),
        (
            "rip above user space (the sysret #GP)",
            TrapFrame {
                rip: USER_ADDRESS_LIMIT,
                rcx: USER_ADDRESS_LIMIT,
                ..system_call
            },
        ),
        (
            "rip in the kernel half",
            TrapFrame {
                rip: 0xffff_8000_0000_0000,
                rcx: 0xffff_8000_0000_0000,
                ..system_call
            },
        ),
        (
            "trap flag",
            TrapFrame {
                rflags: 0x346,
                r11: 0x346,
                ..system_call
            },
        ),
        (
            "resume flag",
            TrapFrame {
                rflags: 0x1_0246,
                r11: 0x1_0246,
                ..system_call
            },
        ),
        (
            "nested task",
            TrapFrame {
                rflags: 0x4246,
                r11: 0x4246,
                ..system_call
            },
        ),
        (
            "alignment check",
            TrapFrame {
                rflags: 0x4_0246,
                r11: 0x4_0246,
                ..system_call
            },
        ),
        (
            "interrupts off",
            TrapFrame {
                rflags: 0x46,
                r11: 0x46,
                ..system_call
            },
        ),
    ];
    for (what, frame) in refused {
        check!(!can_return_with_sysret(&frame), "accepted with {what}");
    }
    Ok(())
});
