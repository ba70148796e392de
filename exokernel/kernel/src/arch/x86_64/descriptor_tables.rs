//! The GDT and TSS: kernel and user segments laid out for `syscall`/`sysret`, and the
//! interrupt stacks (the ring-0 stack for entries from user mode and a separate stack for
//! double faults, so a kernel stack overflow still reports instead of triple-faulting).

use spin::Once;
use x86_64::VirtAddr;
use x86_64::instructions::segmentation::{CS, DS, ES, SS, Segment};
use x86_64::instructions::tables::load_tss;
use x86_64::structures::gdt::{Descriptor, GlobalDescriptorTable, SegmentSelector};
use x86_64::structures::tss::TaskStateSegment;

/// Interrupt-stack-table slot used by the double-fault, NMI and machine-check handlers.
pub const EMERGENCY_STACK_INDEX: u16 = 0;

const STACK_SIZE: usize = 64 * 1024;

/// A kernel stack in `.bss`.
#[repr(C, align(16))]
struct Stack([u8; STACK_SIZE]);

/// Entered on every interrupt, exception and system call from user mode.
static mut KERNEL_STACK: Stack = Stack([0; STACK_SIZE]);
/// Entered on double faults, NMIs and machine checks.
static mut EMERGENCY_STACK: Stack = Stack([0; STACK_SIZE]);

/// The segment selectors, in the order `syscall`/`sysret` require.
#[derive(Clone, Copy, Debug)]
pub struct Selectors {
    /// Ring-0 code.
    pub kernel_code: SegmentSelector,
    /// Ring-0 data and stack.
    pub kernel_data: SegmentSelector,
    /// Ring-3 data and stack (must directly precede `user_code` for `sysret`).
    pub user_data: SegmentSelector,
    /// Ring-3 64-bit code.
    pub user_code: SegmentSelector,
    /// The task-state segment.
    pub task_state: SegmentSelector,
}

static TASK_STATE: Once<TaskStateSegment> = Once::new();
static GLOBAL_DESCRIPTOR_TABLE: Once<(GlobalDescriptorTable, Selectors)> = Once::new();

/// Top of the stack the CPU switches to on entry from user mode.
#[must_use]
pub fn kernel_stack_top() -> u64 {
    // Only the address is taken; the stack memory itself is used by the CPU.
    (&raw const KERNEL_STACK as u64) + STACK_SIZE as u64
}

/// Loads the GDT and TSS and reloads every segment register.
pub fn initialise() -> Selectors {
    let task_state = TASK_STATE.call_once(|| {
        let mut task_state = TaskStateSegment::new();
        task_state.privilege_stack_table[0] = VirtAddr::new(kernel_stack_top());
        task_state.interrupt_stack_table[usize::from(EMERGENCY_STACK_INDEX)] =
            VirtAddr::new((&raw const EMERGENCY_STACK as u64) + STACK_SIZE as u64);
        task_state
    });
    let (table, selectors) = GLOBAL_DESCRIPTOR_TABLE.call_once(|| {
        let mut table = GlobalDescriptorTable::new();
        let kernel_code = table.append(Descriptor::kernel_code_segment());
        let kernel_data = table.append(Descriptor::kernel_data_segment());
        let user_data = table.append(Descriptor::user_data_segment());
        let user_code = table.append(Descriptor::user_code_segment());
        let task_state = table.append(Descriptor::tss_segment(task_state));
        (
            table,
            Selectors {
                kernel_code,
                kernel_data,
                user_data,
                user_code,
                task_state,
            },
        )
    });
    table.load();
    // SAFETY: the selectors index the table just loaded, with the kinds each register needs.
    unsafe {
        CS::set_reg(selectors.kernel_code);
        SS::set_reg(selectors.kernel_data);
        DS::set_reg(selectors.kernel_data);
        ES::set_reg(selectors.kernel_data);
        load_tss(selectors.task_state);
    }
    *selectors
}
