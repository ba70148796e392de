//! The exokernel's system-call ABI, defined once and used by both the kernel and the LibOS.
//!
//! A kernel call is the `syscall` instruction with the call number in `rax` and up to six
//! arguments in `rdi, rsi, rdx, r10, r8, r9`. On return `rax` is 0 for success or a
//! [`KernelError`] code, and `rdi, rsi, rdx, r10, r8, r9` carry up to six result words.
//! `rcx` and `r11` are clobbered (by the instruction itself); every other register is preserved.
//!
//! [`Call`] is the typed table of every call: [`Call::decode`] validates raw registers once
//! (the kernel does nothing with a value it has not decoded) and [`Call::encode`] is what the
//! LibOS uses to build them.
#![no_std]
#![forbid(unsafe_code)]

pub mod argument;
pub mod call;
pub mod error;
pub mod initial;
pub mod registers;
pub mod rights;
pub mod time_page;
pub mod types;

pub use argument::{Argument, OptionalSlot, PageAddress, PageCount, QuotaPages, Slot, UserAddress};
pub use call::{
    CALL_NUMBER_BASE, Call, CallNumber, FRAME_COPY_MAXIMUM_PAGES, FRAME_COPY_REPLACE,
    FRAME_COPY_REUSE, KERNEL_LOG_READ_MAXIMUM, MAPPING_LIST_MAXIMUM, RawCall,
};
pub use error::KernelError;
pub use rights::Rights;
pub use time_page::TimePage;
pub use types::{
    EnvironmentState, ExceptionFrame, FOREIGN_SYSTEM_CALL_VECTOR, FUTEX_BATCH_LIMIT,
    FUTEX_MATCH_ANY, HandlerOptions, MapOperation, MapOperationKind, ObjectKind, PAGE_SIZE,
    PageCopy, RECEIVED_MESSAGE, RECEIVED_NOTIFICATION, RegisterSet, USER_ADDRESS_LIMIT,
};
