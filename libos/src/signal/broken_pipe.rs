//! `SIGPIPE`: a write to a pipe, or a send on a socket, whose reading side is gone raises it in
//! the writer (its default action ends the writer; `WTERMSIG` is `SIGPIPE`), and the call fails
//! with `EPIPE` when the signal is ignored, caught or blocked. `send` with `MSG_NOSIGNAL` only
//! fails.

use libposix_sys::errno::Errno;
use libposix_sys::signal::SIGPIPE;

/// Raises `SIGPIPE` when `result` is `EPIPE`, then passes `result` on. Costs one message to the
/// process server, only on that error.
pub(crate) fn raise_on_broken_pipe<T>(result: Result<T, Errno>) -> Result<T, Errno> {
    if matches!(result, Err(Errno::EPIPE)) {
        // Without a process server nothing could deliver it: the error alone remains.
        let _ = super::raise(SIGPIPE);
    }
    result
}
