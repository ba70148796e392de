//! Shared kernel-call types: object kinds, register sets, exception frames, batch map entries.

use crate::error::KernelError;

/// Size of a page.
pub const PAGE_SIZE: u64 = 4096;
/// User addresses are below this (the lower canonical half, minus its top page).
pub const USER_ADDRESS_LIMIT: u64 = 0x0000_7fff_ffff_f000;

/// What kind of object a capability names (the `kind` word of `CapabilityIdentify`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u64)]
pub enum ObjectKind {
    /// A budget of physical pages.
    MemoryQuota = 1,
    /// Physically contiguous pages.
    Frame = 2,
    /// A page-table root.
    AddressSpace = 3,
    /// An execution context.
    Environment = 4,
    /// A synchronous IPC rendezvous.
    Endpoint = 5,
    /// A word of asynchronous signal bits.
    Notification = 6,
    /// An interrupt line.
    Irq = 7,
    /// A range of I/O ports (the console is one).
    IoPorts = 8,
    /// A one-shot or periodic timer that signals a notification.
    Timer = 9,
    /// One end of a channel: its holders learn when every capability to the other end is gone.
    ChannelEnd = 10,
}

impl ObjectKind {
    /// The kind for an identify result.
    ///
    /// # Errors
    /// [`KernelError::InvalidArgument`] for an unknown value.
    pub fn from_code(code: u64) -> Result<Self, KernelError> {
        Ok(match code {
            1 => Self::MemoryQuota,
            2 => Self::Frame,
            3 => Self::AddressSpace,
            4 => Self::Environment,
            5 => Self::Endpoint,
            6 => Self::Notification,
            7 => Self::Irq,
            8 => Self::IoPorts,
            9 => Self::Timer,
            10 => Self::ChannelEnd,
            _ => return Err(KernelError::InvalidArgument),
        })
    }
}

/// An environment's user-visible register file (`EnvironmentGetRegisters`/`SetRegisters`, and
/// the saved context inside an [`ExceptionFrame`]).
// Plain old data: the kernel reads it from user memory, where any bytes may be.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub struct RegisterSet {
    pub rax: u64,
    pub rbx: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
    pub rbp: u64,
    pub rsp: u64,
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rip: u64,
    /// Only the arithmetic flags, the direction flag and the trap flag are taken from user
    /// space; the kernel forces interrupts on and everything else to its defaults
    /// ([`crate::registers::sanitise`]).
    pub rflags: u64,
    /// The FS segment base (thread-local storage).
    pub fs_base: u64,
    /// The GS segment base.
    pub gs_base: u64,
}

/// What the kernel writes on an environment's exception stack before entering its handler
/// with `rdi` pointing at it; `ExceptionResume` takes it back (possibly edited).
// Plain old data: the kernel reads it from user memory, where any bytes may be.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub struct ExceptionFrame {
    /// The registers at the fault.
    pub registers: RegisterSet,
    /// The exception vector (14 = page fault, 13 = general protection, 6 = invalid opcode, …).
    pub vector: u64,
    /// The CPU's error code (for page faults: bit 0 present, bit 1 write, bit 4 fetch).
    pub error_code: u64,
    /// The faulting address for page faults, else 0.
    pub fault_address: u64,
}

/// The `vector` of an [`ExceptionFrame`] that reports a foreign system call: a `syscall` whose
/// `rax` is not a kernel call number, delivered because the handler was set with
/// [`HandlerOptions::FOREIGN_SYSTEM_CALLS`]. Above every CPU vector (0–255), so it cannot be
/// mistaken for an exception. The frame's registers are those of the `syscall` (`rax` the
/// number, `rip` the instruction after it); the handler resumes with the result in `rax`.
pub const FOREIGN_SYSTEM_CALL_VECTOR: u64 = 256;

/// The most waiters one `FutexWake` wakes, and one `FutexRequeue` wakes and moves (each):
/// larger counts are clamped, so every futex call does bounded work.
pub const FUTEX_BATCH_LIMIT: u64 = 1024;

/// The `FutexWait` bit set and `FutexWake` mask that match every waiter.
pub const FUTEX_MATCH_ANY: u64 = 0xffff_ffff;

bitflags::bitflags! {
    /// The `options` of `EnvironmentSetExceptionHandler`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct HandlerOptions: u64 {
        /// Deliver foreign system calls to the handler too (see [`FOREIGN_SYSTEM_CALL_VECTOR`]).
        const FOREIGN_SYSTEM_CALLS = 1 << 0;
    }
}

/// Word 5 of an `IpcReceive` (or `IpcReplyReceive`) result when what woke the receiver is the
/// notification bound to the endpoint: word 1 then holds the bits taken from it and words 0, 2,
/// 3, 4 are 0. Word 5 is [`RECEIVED_MESSAGE`] for a call.
pub const RECEIVED_NOTIFICATION: u64 = 1;
/// Word 5 of an `IpcReceive` result for a call from a sender.
pub const RECEIVED_MESSAGE: u64 = 0;

/// The life-cycle state of an environment (`EnvironmentStatus` word 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u64)]
pub enum EnvironmentState {
    /// Created, registers settable, never started.
    Created = 0,
    /// Runnable or running.
    Runnable = 1,
    /// Waiting in a blocking call.
    Blocked = 2,
    /// Stopped by its controller.
    Stopped = 3,
    /// Ended by `Exit`; word 1 is the status.
    Exited = 4,
    /// Killed by an exception it had no handler for; word 1 is the vector, word 2 the address.
    Faulted = 5,
}

impl EnvironmentState {
    /// The state for a status word.
    ///
    /// # Errors
    /// [`KernelError::InvalidArgument`] for an unknown value.
    pub fn from_code(code: u64) -> Result<Self, KernelError> {
        Ok(match code {
            0 => Self::Created,
            1 => Self::Runnable,
            2 => Self::Blocked,
            3 => Self::Stopped,
            4 => Self::Exited,
            5 => Self::Faulted,
            _ => return Err(KernelError::InvalidArgument),
        })
    }
}

/// What one entry of a `MapBatch` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum MapOperationKind {
    /// Map `page_count` pages of `frame` from `first_page` at `virtual_address` with `rights`.
    Map = 1,
    /// Unmap `page_count` pages at `virtual_address` (`frame`, `first_page`, `rights` ignored).
    /// Every entry's address and page count are validated; `rights` only for Map and Protect.
    Unmap = 2,
    /// Change the rights of `page_count` mapped pages at `virtual_address`, within the rights
    /// of the capability that mapped each of them.
    Protect = 3,
}

/// One entry of a `MapBatch` array in user memory.
// Plain old data: the kernel reads it from user memory, where any bytes may be.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub struct MapOperation {
    /// A [`MapOperationKind`] value.
    pub kind: u64,
    /// The frame capability's slot (for `Map`).
    pub frame: u64,
    /// Page-aligned user address.
    pub virtual_address: u64,
    /// First page within the frame (for `Map`).
    pub first_page: u64,
    /// Number of pages.
    pub page_count: u64,
    /// `Rights` bits: READ, WRITE, EXECUTE.
    pub rights: u64,
}

impl MapOperation {
    /// The most entries one `MapBatch` may carry.
    pub const MAXIMUM_BATCH: u64 = 512;
}

/// One entry of an `EnvironmentFrameCopy` array in user memory: the page mapped at `address` in
/// the caller's address space is copied into a new one-page frame whose capability goes to slot
/// `destination` of the other environment's capability space.
// Plain old data: the kernel reads it from user memory, where any bytes may be.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub struct PageCopy {
    /// Page-aligned user address of the page to copy.
    pub address: u64,
    /// The empty slot the copy's capability goes to.
    pub destination: u64,
}

impl PageCopy {
    /// The most entries one `EnvironmentFrameCopy` may carry (so one call copies at most
    /// 256 KiB).
    pub const MAXIMUM_BATCH: u64 = 64;
}
