//! Property tests of `registers::sanitise`: whatever a program asks for, what the kernel would
//! install is a canonical user context with only the allowed flags, or an error.

use exokernel_abi::registers::{
    USER_CODE_SELECTOR, USER_DATA_SELECTOR, USER_FLAGS_FORCED, USER_FLAGS_MASK, USER_STACK_LIMIT,
    sanitise,
};
use exokernel_abi::{KernelError, RegisterSet, USER_ADDRESS_LIMIT};
use proptest::prelude::*;

/// Addresses biased towards the interesting edges: user space, the canonical boundary, the
/// kernel half and the non-canonical hole.
fn address() -> impl Strategy<Value = u64> {
    prop_oneof![
        any::<u64>(),
        0..USER_ADDRESS_LIMIT,
        (USER_ADDRESS_LIMIT - 0x2000)..(USER_STACK_LIMIT + 0x2000),
        0xffff_8000_0000_0000..=u64::MAX,
    ]
}

fn register_set() -> impl Strategy<Value = RegisterSet> {
    (
        address(),
        address(),
        any::<u64>(),
        any::<[u64; 16]>(),
        any::<(u64, u64)>(),
    )
        .prop_map(
            |(rip, rsp, rflags, general, (fs_base, gs_base))| RegisterSet {
                rax: general[0],
                rbx: general[1],
                rcx: general[2],
                rdx: general[3],
                rsi: general[4],
                rdi: general[5],
                rbp: general[6],
                rsp,
                r8: general[8],
                r9: general[9],
                r10: general[10],
                r11: general[11],
                r12: general[12],
                r13: general[13],
                r14: general[14],
                r15: general[15],
                rip,
                rflags,
                fs_base,
                gs_base,
            },
        )
}

/// Whether `address` is canonical (bits 63..47 all equal).
fn canonical(address: u64) -> bool {
    let top = address >> 47;
    top == 0 || top == (1 << 17) - 1
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn any_input_yields_a_safe_user_context_or_an_error(registers in register_set()) {
        match sanitise(&registers) {
            Ok(installed) => {
                let out = installed.registers;
                prop_assert!(out.rip < USER_ADDRESS_LIMIT && canonical(out.rip));
                prop_assert!(out.rsp <= USER_STACK_LIMIT);
                // `iretq` pops rsp as given; the first push or pop checks canonicality in
                // ring 3, where a fault is the program's.
                prop_assert!(canonical(out.rsp) || out.rsp == USER_STACK_LIMIT);
                prop_assert_eq!(out.rflags & !(USER_FLAGS_MASK | USER_FLAGS_FORCED), 0);
                prop_assert_eq!(out.rflags & USER_FLAGS_FORCED, USER_FLAGS_FORCED);
                prop_assert_eq!(out.rflags & USER_FLAGS_MASK, registers.rflags & USER_FLAGS_MASK);
                prop_assert_eq!(installed.code_selector, USER_CODE_SELECTOR);
                prop_assert_eq!(installed.stack_selector, USER_DATA_SELECTOR);
                // Every other register is the program's own choice, untouched.
                prop_assert_eq!(RegisterSet { rflags: registers.rflags, ..out }, registers);
            }
            Err(error) => {
                prop_assert_eq!(error, KernelError::InvalidAddress);
                prop_assert!(registers.rip >= USER_ADDRESS_LIMIT || registers.rsp > USER_STACK_LIMIT);
            }
        }
    }
}
