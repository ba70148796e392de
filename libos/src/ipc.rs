//! IPC helpers over the kernel calls: receiving a call or a bound notification, and the
//! server's reply-and-receive step.

use exokernel_abi::{Call, KernelError, OptionalSlot, RECEIVED_NOTIFICATION, Slot};

use crate::kernel::call;

/// What woke a receiver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Received {
    /// A call: the sender's badge, three words, and whether a capability arrived.
    Message {
        badge: u64,
        words: [u64; 3],
        capability_arrived: bool,
    },
    /// The notification bound to the endpoint was signalled with these bits.
    Notification { bits: u64 },
}

impl Received {
    /// Reads the result words of `IpcReceive`/`IpcReplyReceive`.
    #[must_use]
    pub fn from_words(words: [u64; 6]) -> Self {
        if words[5] == RECEIVED_NOTIFICATION {
            Self::Notification { bits: words[1] }
        } else {
            Self::Message {
                badge: words[0],
                words: [words[1], words[2], words[3]],
                capability_arrived: words[4] != 0,
            }
        }
    }
}

/// Waits (up to `timeout` nanoseconds; 0 = forever) for a call on `endpoint` or a signal of the
/// notification bound to it.
///
/// # Errors
/// The kernel's error (`TimedOut`, `Interrupted`, …).
pub fn receive(
    endpoint: Slot,
    receive: Option<Slot>,
    timeout: u64,
) -> Result<Received, KernelError> {
    call(Call::IpcReceive {
        endpoint,
        receive: OptionalSlot(receive),
        timeout,
    })
    .map(Received::from_words)
}

/// Replies `words` to the current caller (if any; a capability from `transfer`) and waits for
/// the next call or bound signal on `endpoint`, in one kernel entry.
///
/// # Errors
/// The kernel's error.
pub fn reply_and_receive(
    endpoint: Slot,
    words: [u64; 3],
    transfer: Option<Slot>,
    receive: Option<Slot>,
) -> Result<Received, KernelError> {
    call(Call::IpcReplyReceive {
        endpoint,
        word0: words[0],
        word1: words[1],
        word2: words[2],
        transfer: OptionalSlot(transfer),
        receive: OptionalSlot(receive),
    })
    .map(Received::from_words)
}

/// Binds `notification` to `endpoint` (or, with `None`, unbinds it): its signals then wake a
/// receiver on the endpoint.
///
/// # Errors
/// The kernel's error (`InvalidState` when either is already bound elsewhere).
pub fn bind_notification(notification: Slot, endpoint: Option<Slot>) -> Result<(), KernelError> {
    call(Call::NotificationBind {
        notification,
        endpoint: OptionalSlot(endpoint),
    })
    .map(|_| ())
}
