//! The kernel's stacks, each with an unmapped guard page below it.
//!
//! The stacks are page-aligned statics in `.bss`; the page below each one is part of the same
//! static but left out of the kernel's page tables (`paging::build_kernel_tables` skips every
//! page [`is_guard_page`] names). Running off the bottom of a stack therefore faults on the
//! guard instead of overwriting whatever lies below; the CPU cannot push that page fault's frame
//! on the same stack, so it raises a double fault, which runs on its own stack (an IST entry)
//! and reports `kernel stack overflow` before stopping the machine.

const PAGE: usize = 4096;

/// The ring-0 stack entered on every trap from user mode.
const KERNEL_STACK_SIZE: usize = 64 * 1024;
/// The stacks of the IST entries (double fault, NMI and machine check).
const EMERGENCY_STACK_SIZE: usize = 16 * 1024;

/// A stack with its guard page below it.
#[repr(C, align(4096))]
struct GuardedStack<const SIZE: usize> {
    /// Never mapped.
    guard: [u8; PAGE],
    /// The stack proper; it grows down from its end.
    stack: [u8; SIZE],
}

impl<const SIZE: usize> GuardedStack<SIZE> {
    const fn new() -> Self {
        Self {
            guard: [0; PAGE],
            stack: [0; SIZE],
        }
    }
}

// The stacks are only ever touched by the CPU through `rsp`; Rust code takes their addresses.
static mut KERNEL_STACK: GuardedStack<KERNEL_STACK_SIZE> = GuardedStack::new();
static mut DOUBLE_FAULT_STACK: GuardedStack<EMERGENCY_STACK_SIZE> = GuardedStack::new();
static mut NMI_STACK: GuardedStack<EMERGENCY_STACK_SIZE> = GuardedStack::new();
static mut MACHINE_CHECK_STACK: GuardedStack<EMERGENCY_STACK_SIZE> = GuardedStack::new();

unsafe extern "C" {
    /// The page below the boot stack (`boot/src/pvh.rs`), on which `kernel_main` runs.
    static pvh_boot_stack_guard: u8;
}

/// One kernel stack: its name, its guard page and its top.
#[derive(Clone, Copy, Debug)]
pub struct StackBounds {
    /// What it is used for.
    pub name: &'static str,
    /// The virtual address of its guard page.
    pub guard: u64,
    /// The address just above it (the initial `rsp`).
    pub top: u64,
}

/// Every kernel stack with a guard page.
#[must_use]
pub fn all() -> [StackBounds; 5] {
    let boot_guard = &raw const pvh_boot_stack_guard as u64;
    [
        StackBounds {
            name: "boot",
            guard: boot_guard,
            top: boot_guard + PAGE as u64 + 64 * 1024,
        },
        StackBounds {
            name: "kernel",
            guard: &raw const KERNEL_STACK as u64,
            top: &raw const KERNEL_STACK as u64 + (PAGE + KERNEL_STACK_SIZE) as u64,
        },
        StackBounds {
            name: "double-fault",
            guard: &raw const DOUBLE_FAULT_STACK as u64,
            top: &raw const DOUBLE_FAULT_STACK as u64 + (PAGE + EMERGENCY_STACK_SIZE) as u64,
        },
        StackBounds {
            name: "non-maskable-interrupt",
            guard: &raw const NMI_STACK as u64,
            top: &raw const NMI_STACK as u64 + (PAGE + EMERGENCY_STACK_SIZE) as u64,
        },
        StackBounds {
            name: "machine-check",
            guard: &raw const MACHINE_CHECK_STACK as u64,
            top: &raw const MACHINE_CHECK_STACK as u64 + (PAGE + EMERGENCY_STACK_SIZE) as u64,
        },
    ]
}

/// Top of the ring-0 stack the CPU switches to on entry from user mode.
#[must_use]
pub fn kernel_stack_top() -> u64 {
    all()[1].top
}

/// Top of the stack the double-fault handler runs on.
#[must_use]
pub fn double_fault_stack_top() -> u64 {
    all()[2].top
}

/// Top of the stack the NMI handler runs on.
#[must_use]
pub fn nmi_stack_top() -> u64 {
    all()[3].top
}

/// Top of the stack the machine-check handler runs on.
#[must_use]
pub fn machine_check_stack_top() -> u64 {
    all()[4].top
}

/// Whether the page at `virtual_address` is a guard page (to be left unmapped).
#[must_use]
pub fn is_guard_page(virtual_address: u64) -> bool {
    let page = virtual_address & !(PAGE as u64 - 1);
    all().iter().any(|stack| stack.guard == page)
}

/// The stack whose guard page holds `address`, if any: a fault there is a stack overflow.
#[must_use]
pub fn overflowed_stack(address: u64) -> Option<&'static str> {
    all()
        .into_iter()
        .find(|stack| (stack.guard..stack.guard + PAGE as u64).contains(&address))
        .map(|stack| stack.name)
}
