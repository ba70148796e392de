//! The one table of kernel calls: number, name, typed arguments, and what each returns.
//!
//! Every call that names an object does so by a capability slot in the caller's space; the
//! rights each call needs and the errors it returns are listed in `docs/abi.md`.

use crate::argument::{
    Argument, OptionalSlot, PageAddress, PageCount, QuotaPages, Slot, UserAddress,
};
use crate::error::KernelError;
use crate::rights::Rights;

/// The raw registers of a call: `rax` and `rdi, rsi, rdx, r10, r8, r9`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RawCall {
    /// The call number (`rax`).
    pub number: u64,
    /// The arguments in register order.
    pub arguments: [u64; 6],
}

/// The number of the first kernel call; every call is this plus its place in the table.
///
/// Chosen so that no kernel call can ever be mistaken for a Linux system call: native x86_64
/// Linux numbers are below 0x1000 (about 470 today), the x32 ABI's are `0x4000_0000 | n`, and
/// Linux reads only the low 32 bits of `rax`. `0x1000_0000` (bit 28, below bit 30) leaves room
/// for 2^28 kernel calls between the two Linux ranges and still fits the 32-bit immediate of
/// `mov eax, imm32`, so a kernel call costs no longer instruction than a Linux one. Any `syscall`
/// whose number is not a kernel call is a foreign system call (see `docs/abi.md`).
pub const CALL_NUMBER_BASE: u64 = 0x1000_0000;

macro_rules! calls {
    ($(
        $(#[$documentation:meta])*
        $number:literal => $name:ident { $($field:ident : $type:ty),* $(,)? }
    ),* $(,)?) => {
        /// Every kernel call with its validated arguments.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Call {
            $( $(#[$documentation])* $name { $($field: $type),* }, )*
        }

        /// The call numbers: [`CallNumber::BASE`] plus the call's place in the table.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u64)]
        pub enum CallNumber {
            $( $(#[$documentation])* $name = CALL_NUMBER_BASE + $number, )*
        }

        impl CallNumber {
            /// The number of the first call in the table.
            pub const BASE: u64 = CALL_NUMBER_BASE;

            /// Every call number, in table order.
            pub const ALL: &'static [CallNumber] = &[$(CallNumber::$name),*];

            /// The number for a raw `rax`.
            ///
            /// # Errors
            /// [`KernelError::UnknownCall`] when no call has that number.
            pub fn from_raw(raw: u64) -> Result<Self, KernelError> {
                match raw.checked_sub(CALL_NUMBER_BASE) {
                    $( Some($number) => Ok(Self::$name), )*
                    _ => Err(KernelError::UnknownCall),
                }
            }

            /// The call's name as written in the table.
            #[must_use]
            pub const fn name(self) -> &'static str {
                match self { $( Self::$name => stringify!($name), )* }
            }
        }

        impl Call {
            /// Validates raw registers into a call. Nothing else in the kernel reads them.
            ///
            /// # Errors
            /// [`KernelError::UnknownCall`] for an unknown number, otherwise the error of the
            /// first argument that does not decode.
            #[allow(unused_variables, unused_mut, unused_assignments)]
            pub fn decode(raw: &RawCall) -> Result<Self, KernelError> {
                let mut arguments = raw.arguments.iter().copied();
                match CallNumber::from_raw(raw.number)? {
                    $( CallNumber::$name => Ok(Call::$name {
                        $($field: <$type as Argument>::decode(arguments.next().unwrap_or(0))?,)*
                    }), )*
                }
            }

            /// The raw registers for this call.
            #[must_use]
            #[allow(unused_mut, unused_assignments)]
            pub fn encode(&self) -> RawCall {
                let mut raw = RawCall::default();
                match *self {
                    $( Call::$name { $($field),* } => {
                        raw.number = CallNumber::$name as u64;
                        let mut index = 0usize;
                        $( raw.arguments[index] = Argument::encode($field); index += 1; )*
                        let _ = index;
                    } )*
                }
                raw
            }

            /// The call's number.
            #[must_use]
            pub const fn number(&self) -> CallNumber {
                match self { $( Call::$name { .. } => CallNumber::$name, )* }
            }
        }
    };
}

calls! {
    /// Copies a capability into an empty slot with `rights & source rights`. Needs GRANT.
    0 => CapabilityCopy { source: Slot, destination: Slot, rights: Rights },
    /// Like copy, and sets a badge (endpoints and notifications, only when unbadged); badge 0
    /// means none, which makes it a plain copy.
    1 => CapabilityMint { source: Slot, destination: Slot, rights: Rights, badge: u64 },
    /// Moves a capability to an empty slot (its derivation position is kept).
    2 => CapabilityMove { source: Slot, destination: Slot },
    /// Deletes a capability; the object dies with its last capability.
    3 => CapabilityDelete { slot: Slot },
    /// Deletes every capability derived from this one (and their mappings), keeping it.
    4 => CapabilityRevoke { slot: Slot },
    /// Returns `[kind, rights, badge, detail]`; detail is a frame's page count or a quota's
    /// remaining pages.
    5 => CapabilityIdentify { slot: Slot },
    /// Splits `pages` off a memory quota into a new child quota. Needs ALLOCATE.
    6 => QuotaSplit { quota: Slot, destination: Slot, pages: QuotaPages },
    /// Allocates `pages` zeroed, physically contiguous pages charged to a quota. Needs ALLOCATE;
    /// the frame's rights are bounded by the quota's. Returns `[physical address]`.
    7 => FrameAllocate { quota: Slot, destination: Slot, pages: PageCount },
    /// Creates an empty address space charged to a quota. Needs ALLOCATE.
    8 => AddressSpaceCreate { quota: Slot, destination: Slot },
    /// Creates an endpoint charged to a quota. Needs ALLOCATE.
    9 => EndpointCreate { quota: Slot, destination: Slot },
    /// Creates a notification charged to a quota. Needs ALLOCATE.
    10 => NotificationCreate { quota: Slot, destination: Slot },
    /// Maps pages `first_page..first_page + pages` of a frame at `address` with `rights`
    /// (READ/WRITE/EXECUTE, each also held by the frame capability, which needs MAP). The
    /// address space capability needs MAP. Page tables are charged to the address space's quota.
    11 => Map { address_space: Slot, frame: Slot, address: PageAddress, first_page: u64, pages: PageCount, rights: Rights },
    /// Unmaps pages; every page in the range must be mapped. Needs MAP on the address space.
    12 => Unmap { address_space: Slot, address: PageAddress, pages: PageCount },
    /// Changes the rights of mapped pages, bounded by the capability that mapped each.
    13 => Protect { address_space: Slot, address: PageAddress, pages: PageCount, rights: Rights },
    /// Applies `count` (at most 512) [`crate::MapOperation`]s read from user memory, in order,
    /// working on at most [`PageCount::MAXIMUM`] pages in all; stops at the first failing entry.
    /// Returns `[completed, error code of that entry or 0]`.
    14 => MapBatch { address_space: Slot, operations: UserAddress, count: u64 },
    /// Creates an environment running in `address_space` with a fresh capability space of
    /// `slots` slots, charged to a quota. Needs ALLOCATE, and MAP on the address space.
    15 => EnvironmentCreate { quota: Slot, address_space: Slot, destination: Slot, slots: u64 },
    /// Replaces a stopped or created environment's registers from a [`crate::RegisterSet`]
    /// in user memory. Needs WRITE.
    16 => EnvironmentSetRegisters { environment: Slot, registers: UserAddress },
    /// Writes a stopped environment's [`crate::RegisterSet`] to user memory. Needs READ.
    17 => EnvironmentGetRegisters { environment: Slot, registers: UserAddress },
    /// Starts (or resumes) an environment. Needs CONTROL.
    18 => EnvironmentStart { environment: Slot },
    /// Stops an environment (cancelling any blocking call it is in). Needs CONTROL.
    19 => EnvironmentStop { environment: Slot },
    /// Returns `[state, code, address]`: see [`crate::EnvironmentState`]. Needs READ.
    20 => EnvironmentStatus { environment: Slot },
    /// Adds a watcher: the notification is signalled when the environment ends (exits, faults or
    /// is destroyed) — with the notification capability's badge if it has one, else `bits`.
    /// Needs READ on the environment and SIGNAL on the notification; at most 8 watchers per
    /// environment, and no call removes one.
    21 => EnvironmentWatch { environment: Slot, notification: Slot, bits: u64 },
    /// Copies a capability of the caller's into the environment's space, with `rights &` the
    /// source's. Needs CONTROL on the environment and GRANT on the source.
    22 => EnvironmentGrant { environment: Slot, source: Slot, destination: Slot, rights: Rights },
    /// Sets the caller's exception handler: exceptions push an [`crate::ExceptionFrame`] on the
    /// stack ending at `stack_top` and enter `entry` with `rdi` pointing at it. `entry` 0
    /// removes the handler (exceptions then kill the environment).
    23 => ExceptionHandlerSet { entry: UserAddress, stack_top: UserAddress },
    /// Returns from an exception handler: resumes the registers of the [`crate::ExceptionFrame`]
    /// at `frame`.
    24 => ExceptionResume { frame: UserAddress },
    /// Sends three words, the capability's badge and optionally a capability (needing GRANT on
    /// it and on the endpoint) to a receiver on the endpoint and waits for its reply. Needs SEND. Returns
    /// `[capability_arrived, word0, word1, word2]`; a capability from the reply goes into
    /// `receive`. Fails with `PeerGone` if the server ends before replying.
    25 => IpcCall { endpoint: Slot, word0: u64, word1: u64, word2: u64, transfer: OptionalSlot, receive: OptionalSlot },
    /// Waits for a message on the endpoint (up to `timeout` nanoseconds; 0 = forever). Returns
    /// `[badge, word0, word1, word2, capability_arrived]`; a capability goes into `receive`.
    /// Needs RECEIVE.
    26 => IpcReceive { endpoint: Slot, receive: OptionalSlot, timeout: u64 },
    /// Replies to the environment whose call the caller received last, optionally with a
    /// capability. Fails with `InvalidState` when there is no call to answer and `PeerGone`
    /// when the caller has ended.
    27 => IpcReply { word0: u64, word1: u64, word2: u64, transfer: OptionalSlot },
    /// Sets bits in a notification (its badge when the capability has one). Needs SIGNAL.
    28 => NotificationSignal { notification: Slot, bits: u64 },
    /// Waits until the notification has bits set, takes and returns them (`timeout`
    /// nanoseconds; 0 = forever). Needs WAIT.
    29 => NotificationWait { notification: Slot, timeout: u64 },
    /// Takes and returns the notification's bits without blocking. Needs WAIT.
    30 => NotificationPoll { notification: Slot },
    /// Blocks while the 32-bit word at `address` equals `expected` until woken (or `timeout`
    /// nanoseconds; 0 = forever), remembering the nonzero 32-bit `bitset` a `FutexWake` mask
    /// must meet. The key is the word's physical location, so it works across address spaces
    /// that share the page.
    31 => FutexWait { address: UserAddress, expected: u64, timeout: u64, bitset: u64 },
    /// Wakes up to `count` (at most `FUTEX_BATCH_LIMIT`) environments waiting on the word at
    /// `address` whose bit set shares a bit with the nonzero 32-bit `mask`; returns how many.
    32 => FutexWake { address: UserAddress, count: u64, mask: u64 },
    /// Gives up the rest of the time slice.
    33 => Yield {},
    /// Ends the calling environment with `status`; its exit notification is signalled.
    34 => Exit { status: u64 },
    /// Writes `length` bytes from user memory to the console. Needs WRITE on an I/O-port
    /// capability covering the console.
    35 => ConsoleWrite { console: Slot, buffer: UserAddress, length: u64 },
    /// Reads up to `length` bytes that have arrived at the console, without blocking. Needs READ.
    36 => ConsoleRead { console: Slot, buffer: UserAddress, length: u64 },
    /// Returns `[nanoseconds since boot, timestamp-counter ticks per microsecond]`.
    37 => ClockRead {},
    /// Returns `[quota remaining pages, free physical frames, total physical frames, kernel heap
    /// bytes available, kernel heap bytes allocated, the longest interrupts-off stretch of one
    /// kernel entry since the previous `MemoryStatus`, in timestamp-counter ticks]`. Any capability to a memory quota serves:
    /// it is the figure the attack tests use to prove that no route makes the kernel spend
    /// memory nobody paid for.
    38 => MemoryStatus { quota: Slot },
    /// Sets another environment's (or the caller's own) exception handler, like
    /// `ExceptionHandlerSet`, with [`crate::HandlerOptions`]: `FOREIGN_SYSTEM_CALLS` also
    /// delivers every `syscall` whose number is not a kernel call to the handler (vector
    /// [`crate::FOREIGN_SYSTEM_CALL_VECTOR`]). Needs CONTROL on the environment.
    39 => EnvironmentSetExceptionHandler { environment: Slot, entry: UserAddress, stack_top: UserAddress, options: u64 },
    /// Binds a notification to an endpoint (none: unbinds it), so that `IpcReceive` on the
    /// endpoint also returns when the notification is signalled (word 5 says which:
    /// [`crate::RECEIVED_NOTIFICATION`]). Needs WAIT on the notification and RECEIVE on the
    /// endpoint.
    40 => NotificationBind { notification: Slot, endpoint: OptionalSlot },
    /// Replies to the current caller (if any) like `IpcReply`, then receives on `endpoint` like
    /// `IpcReceive` with no timeout, in one kernel entry. Needs RECEIVE.
    41 => IpcReplyReceive { endpoint: Slot, word0: u64, word1: u64, word2: u64, transfer: OptionalSlot, receive: OptionalSlot },
    /// Creates a disarmed timer, charged one page to a quota, that signals `bits` on the
    /// notification (its badge when the capability has one) each time it fires. Needs ALLOCATE
    /// on the quota and SIGNAL on the notification.
    42 => TimerCreate { quota: Slot, destination: Slot, notification: Slot, bits: u64 },
    /// Arms a timer to fire at `deadline` (nanoseconds since boot, the `ClockRead` and time-page
    /// clock) and then, when `period` is not 0, every `period` nanoseconds. Needs WRITE.
    43 => TimerArm { timer: Slot, deadline: u64, period: u64 },
    /// Disarms a timer; returns `[1]` if it was armed. Needs WRITE.
    44 => TimerDisarm { timer: Slot },
    /// Creates a channel charged one page to the quota: two ends, each its own object, in
    /// `first` and `second` (all rights, children of the quota capability). Holders of one end
    /// learn when every capability to the other is gone (`ChannelWatch`). Needs ALLOCATE.
    45 => ChannelCreate { quota: Slot, first: Slot, second: Slot },
    /// Adds a watcher to the end in `end`: the notification is signalled (with its badge, or
    /// `bits`) when every capability to the other end is gone — at once if it already is. Needs
    /// READ on the end and SIGNAL on the notification; at most 4 watchers per end.
    46 => ChannelWatch { end: Slot, notification: Slot, bits: u64 },
    /// Creates a thread of the process whose environment is in `process`: a new environment
    /// sharing that environment's capability space and address space, charged one page. Needs
    /// CONTROL on `process` and ALLOCATE on `quota`.
    47 => EnvironmentCreateThread { quota: Slot, process: Slot, destination: Slot },
    /// Copies the occupied slots `source .. source + count` (at most 256) of the caller's space
    /// to the same offsets from `destination` in the environment's space, with their rights.
    /// Needs CONTROL on the environment and GRANT on each capability copied. Returns
    /// `[slots gone through, error code of the slot that stopped it or 0]`.
    48 => CapabilityCopyRange { environment: Slot, source: Slot, destination: Slot, count: u64 },
    /// Exec in place: gives the environment a new address space and registers (from a
    /// [`crate::RegisterSet`] in user memory) and the clean floating-point state, and removes its
    /// exception handler, keeping its identity, capability space and watchers. The environment
    /// must be the caller, or created or stopped. Needs CONTROL on it and MAP on the address
    /// space.
    49 => EnvironmentReplaceImage { environment: Slot, address_space: Slot, registers: UserAddress },
    /// The first mapping record of the address space covering `address` or after it:
    /// `[virtual address, page count, slot of the frame capability that made it (u64::MAX if not
    /// in the caller's space), first page within that frame, access bits (READ and EXECUTE of
    /// its first page, WRITE if any of its pages is writable)]`.
    /// Needs MAP on the address space; `NotMapped` when there is none.
    50 => MappingNext { address_space: Slot, address: u64 },
    /// `MapBatch` whose `Map` entries name frame capabilities in the capability space of the
    /// environment in `environment`, which then own the mappings. Needs CONTROL on the
    /// environment and MAP on the address space. Returns `[completed, error code or 0]`.
    51 => EnvironmentMapBatch { environment: Slot, address_space: Slot, operations: UserAddress, count: u64 },
    /// Binds console input to a notification, replacing any earlier binding (the one console
    /// has one reader): the notification is signalled (with its badge, or `bits`) whenever
    /// input arrives, and at once if input is already waiting. Needs READ on the console and
    /// SIGNAL on the notification.
    52 => ConsoleNotify { console: Slot, notification: Slot, bits: u64 },
    /// Allocates a frame of `pages` pages (at most [`FRAME_COPY_MAXIMUM_PAGES`]) from `quota`
    /// into the empty `destination`, filled with a copy of the pages mapped from `address` on in
    /// `address_space`, which must be the caller's own. With option `FRAME_COPY_REPLACE` (bit 0)
    /// the copy also takes the pages' place, mapped with the first page's access plus WRITE and
    /// recorded against the new capability (copy-on-write in one call); adding
    /// `FRAME_COPY_REUSE` (bit 1), a single page whose frame nobody else can reach (the
    /// caller's capability that mapped it is the only one naming it and maps it nowhere else) is
    /// made writable in place, with no copy. Needs ALLOCATE on `quota` and MAP on the address
    /// space. Returns `[slot of the capability that made the first page's mapping (u64::MAX if
    /// not in the caller's space), that record's first address, its page count, 1 if the page
    /// was made writable in place]`.
    53 => FrameAllocateCopy { quota: Slot, destination: Slot, address_space: Slot, address: PageAddress, options: u64, pages: PageCount },
    /// `MappingNext` for many records at once: writes the records from the first covering
    /// `address` or after it, at most `capacity` (at most 512), as `MappingNext`'s five words
    /// each, to the writable `buffer`. Needs MAP on the address space. Returns `[records
    /// written, 1 if more records follow the last one written else 0]`.
    54 => MappingList { address_space: Slot, address: u64, buffer: UserAddress, capacity: u64 },
    /// Makes another object of the channel end `source` names, with `source`'s rights, in
    /// `destination`: with `keeper` 0 a counting one (the end lives while any of its counting
    /// objects has capabilities, and comes alive again if it had died); with `keeper` 1 the end's
    /// keeper, which can derive counting objects but never counts itself (at most one per end).
    /// Needs GRANT on `source`.
    55 => ChannelDerive { source: Slot, destination: Slot, keeper: u64 },
    /// Wakes up to `count` waiters on the word at `address` and moves up to `requeue` of the
    /// rest to the word at `target` (each at most `FUTEX_BATCH_LIMIT`), checking first, when
    /// `expected` fits 32 bits, that the word at `address` holds it. Returns woken and moved.
    56 => FutexRequeue { address: UserAddress, count: u64, target: UserAddress, requeue: u64, expected: u64 },
    /// Copies the kernel log's bytes from `position` (counted from the first byte logged since
    /// boot; the oldest still held when that is later) to the writable `buffer`, up to `length`
    /// and at most [`KERNEL_LOG_READ_MAXIMUM`]. Needs a console capability (IoPorts covering the
    /// console), with any rights. Returns `[bytes copied, the position after them, the oldest
    /// position held, the position after the newest byte]`.
    57 => KernelLogRead { console: Slot, buffer: UserAddress, length: u64, position: u64 },
    /// For each of the `count` (at most 64) [`PageCopy`] entries at `copies`: a one-page frame
    /// from `quota` holding a copy of the page mapped at the entry's `address` in
    /// `address_space`, which must be the caller's own, with its capability (all rights) put at
    /// the entry's empty `destination` slot in the capability space of the environment in
    /// `environment` (fork: the child gets its own copies of the pages the parent goes on
    /// writing). Needs CONTROL on the environment, ALLOCATE on `quota` and MAP on the address
    /// space. Returns `[completed, error code or 0]`.
    58 => EnvironmentFrameCopy { environment: Slot, quota: Slot, address_space: Slot, copies: UserAddress, count: u64 },
}

/// The most bytes one `KernelLogRead` copies.
pub const KERNEL_LOG_READ_MAXIMUM: u64 = 4096;

/// The most records one `MappingList` writes.
pub const MAPPING_LIST_MAXIMUM: u64 = 512;

/// The most pages one `FrameAllocateCopy` copies.
pub const FRAME_COPY_MAXIMUM_PAGES: u64 = 64;

/// `FrameAllocateCopy` option: the copy replaces the page it was made from.
pub const FRAME_COPY_REPLACE: u64 = 1;

/// `FrameAllocateCopy` option, with [`FRAME_COPY_REPLACE`]: a page whose frame nobody else can
/// reach is made writable in place instead of copied.
pub const FRAME_COPY_REUSE: u64 = 2;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_number_decodes_to_its_own_call_and_round_trips() {
        for &number in CallNumber::ALL {
            let raw = RawCall {
                number: number as u64,
                arguments: [0, 0, 0, 0, 1, 0],
            };
            match Call::decode(&raw) {
                Ok(call) => {
                    assert_eq!(call.number(), number);
                    assert_eq!(Call::decode(&call.encode()), Ok(call));
                }
                // Zero page counts are invalid: fine, the number was still recognised.
                Err(error) => assert_ne!(error, KernelError::UnknownCall, "{}", number.name()),
            }
        }
    }

    #[test]
    fn unknown_numbers_are_rejected() {
        let past_the_end = CALL_NUMBER_BASE + CallNumber::ALL.len() as u64;
        for number in [0, 1, 39, 1000, 0x4000_0000, past_the_end, u64::MAX] {
            assert_eq!(
                Call::decode(&RawCall {
                    number,
                    arguments: [0; 6]
                }),
                Err(KernelError::UnknownCall)
            );
        }
    }

    #[test]
    fn arguments_are_validated() {
        let map = |address: u64, rights: u64| RawCall {
            number: CallNumber::Map as u64,
            arguments: [1, 2, address, 0, 1, rights],
        };
        assert!(Call::decode(&map(0x40_0000, Rights::READ.bits().into())).is_ok());
        assert_eq!(
            Call::decode(&map(0x40_0001, 1)),
            Err(KernelError::InvalidArgument)
        );
        assert_eq!(
            Call::decode(&map(!0xfff, 1)),
            Err(KernelError::InvalidAddress)
        );
        assert_eq!(
            Call::decode(&map(0x40_0000, 1 << 30)),
            Err(KernelError::InvalidArgument)
        );
    }

    #[test]
    fn numbers_are_dense_and_names_unique() {
        for (index, number) in CallNumber::ALL.iter().enumerate() {
            assert_eq!(*number as u64, CALL_NUMBER_BASE + index as u64);
            assert_eq!(
                CallNumber::ALL
                    .iter()
                    .filter(|other| other.name() == number.name())
                    .count(),
                1
            );
        }
    }
}
