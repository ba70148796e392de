//! The GDT and TSS: kernel and user segments laid out for `syscall`/`sysret`, and the
//! interrupt stacks: the ring-0 stack for entries from user mode, and separate IST stacks for
//! double faults, NMIs and machine checks. Every one has an unmapped guard page below it
//! (`kernel_stacks.rs`), so a kernel stack overflow faults on the guard, the fault becomes a
//! double fault on its own stack, and that reports the overflow instead of triple-faulting.

use spin::Once;
use x86_64::VirtAddr;
use x86_64::instructions::segmentation::{CS, DS, ES, SS, Segment};
use x86_64::instructions::tables::load_tss;
use x86_64::structures::gdt::{Descriptor, GlobalDescriptorTable, SegmentSelector};
use x86_64::structures::tss::TaskStateSegment;

pub use super::kernel_stacks::kernel_stack_top;
use super::kernel_stacks::{double_fault_stack_top, machine_check_stack_top, nmi_stack_top};

/// Interrupt-stack-table slot used by the NMI handler.
pub const EMERGENCY_STACK_INDEX: u16 = 0;
/// Interrupt-stack-table slot used by the double-fault handler.
pub const DOUBLE_FAULT_STACK_INDEX: u16 = 1;
/// Interrupt-stack-table slot used by the machine-check handler.
pub const MACHINE_CHECK_STACK_INDEX: u16 = 2;

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

/// Loads the GDT and TSS and reloads every segment register.
pub fn initialise() -> Selectors {
    let task_state = TASK_STATE.call_once(|| {
        let mut task_state = TaskStateSegment::new();
        task_state.privilege_stack_table[0] = VirtAddr::new(kernel_stack_top());
        task_state.interrupt_stack_table[usize::from(EMERGENCY_STACK_INDEX)] =
            VirtAddr::new(nmi_stack_top());
        task_state.interrupt_stack_table[usize::from(DOUBLE_FAULT_STACK_INDEX)] =
            VirtAddr::new(double_fault_stack_top());
        task_state.interrupt_stack_table[usize::from(MACHINE_CHECK_STACK_INDEX)] =
            VirtAddr::new(machine_check_stack_top());
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
