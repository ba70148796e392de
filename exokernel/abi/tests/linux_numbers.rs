//! No kernel call number can be taken for a Linux x86_64 system call: not a native one (every
//! number `libposix-sys` knows), not an x32 one (`0x4000_0000 | n`), and not when Linux reads
//! only the low 32 bits of `rax`.

use exokernel_abi::{CALL_NUMBER_BASE, CallNumber};
use libposix_sys::syscall_numbers::SystemCall;

/// Linux's x32 system calls have this bit set in `rax`.
const X32_SYSTEM_CALL_BIT: u64 = 0x4000_0000;

#[test]
fn no_kernel_call_number_is_a_linux_system_call_number() {
    assert!(!SystemCall::ALL.is_empty());
    for &call in CallNumber::ALL {
        let number = call as u64;
        for &linux in SystemCall::ALL {
            let linux = linux as u64;
            assert_ne!(number, linux, "{} collides with Linux {linux}", call.name());
            assert_ne!(
                number,
                linux | X32_SYSTEM_CALL_BIT,
                "{} collides with x32",
                call.name()
            );
            assert_ne!(
                number & 0xffff_ffff,
                linux,
                "{} truncated collides",
                call.name()
            );
        }
        assert!(SystemCall::from_number(number).is_none(), "{}", call.name());
        assert!(SystemCall::from_number(number & 0xffff_ffff).is_none());
    }
}

#[test]
fn kernel_calls_sit_between_the_native_and_the_x32_ranges_with_room_to_grow() {
    let highest_linux = SystemCall::ALL
        .iter()
        .map(|&call| call as u64)
        .max()
        .unwrap_or(0);
    // Linux grows by a few dozen calls a year; the base leaves it more than 2^27 numbers.
    assert!(highest_linux < 0x1000);
    const { assert!(CALL_NUMBER_BASE > 0x1000 * 0x1000) };
    for &call in CallNumber::ALL {
        let number = call as u64;
        assert!(number >= CALL_NUMBER_BASE, "{}", call.name());
        assert!(
            number < X32_SYSTEM_CALL_BIT,
            "{} would look like x32",
            call.name()
        );
        assert_eq!(number & X32_SYSTEM_CALL_BIT, 0);
    }
}
