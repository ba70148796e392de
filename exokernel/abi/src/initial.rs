//! What the kernel hands the first program: the capability slots it fills and the registers
//! `init` starts with.
//!
//! `init` starts with `rsp` 16-byte aligned at the top of its stack, `rdi` pointing at the
//! command the kernel was given after `--` (percent-encoded words separated by spaces), `rsi`
//! its length, and `rdx` the length in bytes of the initramfs (whose frame is in
//! [`INITRAMFS`]).

use crate::argument::Slot;

/// `init`'s own environment (all rights).
pub const SELF_ENVIRONMENT: Slot = Slot(0);
/// `init`'s address space (all rights).
pub const SELF_ADDRESS_SPACE: Slot = Slot(1);
/// The memory quota holding all memory the kernel does not need for itself.
pub const MEMORY_QUOTA: Slot = Slot(2);
/// The console's I/O ports (COM1), READ and WRITE.
pub const CONSOLE: Slot = Slot(3);
/// The initramfs as a read-only frame.
pub const INITRAMFS: Slot = Slot(4);
/// The kernel's [`crate::TimePage`] as a one-page frame, READ, MAP and GRANT only.
pub const TIME_PAGE: Slot = Slot(5);
/// `init`'s image and stack frames occupy slots from here (one per segment, then the stack).
pub const FIRST_IMAGE_SLOT: Slot = Slot(16);
/// The first slot nothing occupies at start.
pub const FIRST_FREE_SLOT: Slot = Slot(64);
/// Slots in `init`'s capability space.
pub const SLOT_COUNT: u64 = 4096;

/// Where `init`'s stack ends (exclusive).
pub const STACK_TOP: u64 = 0x0000_7fff_0000_0000;
/// `init`'s stack size.
pub const STACK_PAGES: u64 = 32;
