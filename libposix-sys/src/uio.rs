//! Scatter/gather I/O vectors (`struct iovec`) for `readv`, `writev`, `preadv`, `sendmsg` and friends.

/// The most vectors one call accepts (`UIO_MAXIOV`, which C libraries export as `IOV_MAX`).
pub const IOV_MAX: i32 = 1024;

/// One buffer of a vectored I/O call (`struct iovec`).
#[doc(alias = "iovec")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Iovec {
    /// The buffer's address.
    pub iov_base: usize,
    /// The buffer's length in bytes.
    pub iov_len: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi_check::{assert_every_constant_checked, check_constants, check_layout};

    #[test]
    fn constants_match_libc() {
        let checked = check_constants!(
            // uapi linux/uio.h UIO_MAXIOV; glibc's IOV_MAX is the same 1024.
            IOV_MAX = 1024
        );
        assert_every_constant_checked(include_str!("uio.rs"), &[checked]);
    }

    #[test]
    fn layout_matches_libc() {
        check_layout!(Iovec, libc::iovec, { iov_base, iov_len });
    }
}
