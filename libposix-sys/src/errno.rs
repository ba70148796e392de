//! Linux error numbers (`errno`) with their names, `strerror` texts and the `-errno` return convention.
//!
//! Linux x86_64 defines 1..=133 with two holes (41 and 58 were never assigned on
//! x86). A system call reports failure by returning `-errno`, a value in
//! `-4095..=-1`; every other value is a success.

/// The largest value the kernel treats as an error number in a system call return value.
pub const MAX_ERRNO: i32 = 4095;

macro_rules! errno_table {
    ($($name:ident = $value:literal, $description:literal;)*) => {
        /// A Linux error number; the discriminant is the value user space sees in `errno`.
        #[repr(i32)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Errno {
            $(
                #[doc = $description]
                $name = $value,
            )*
        }

        impl Errno {
            /// Every error number, in increasing order.
            pub const ALL: &'static [Errno] = &[$(Errno::$name),*];

            /// The error number with this raw value, if Linux defines one.
            pub const fn from_raw(raw: i32) -> Option<Self> {
                match raw {
                    $($value => Some(Errno::$name),)*
                    _ => None,
                }
            }

            /// The symbolic name, such as `"ENOENT"`.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Errno::$name => stringify!($name),)*
                }
            }

            /// The message `strerror` gives for this error (glibc's wording).
            pub const fn description(self) -> &'static str {
                match self {
                    $(Errno::$name => $description,)*
                }
            }
        }

        #[cfg(test)]
        #[test]
        fn every_errno_matches_libc() {
            $(assert_eq!(Errno::$name.as_raw(), libc::$name, stringify!($name));)*
        }
    };
}

errno_table! {
    EPERM = 1, "Operation not permitted";
    ENOENT = 2, "No such file or directory";
    ESRCH = 3, "No such process";
    EINTR = 4, "Interrupted system call";
    EIO = 5, "Input/output error";
    ENXIO = 6, "No such device or address";
    E2BIG = 7, "Argument list too long";
    ENOEXEC = 8, "Exec format error";
    EBADF = 9, "Bad file descriptor";
    ECHILD = 10, "No child processes";
    EAGAIN = 11, "Resource temporarily unavailable";
    ENOMEM = 12, "Cannot allocate memory";
    EACCES = 13, "Permission denied";
    EFAULT = 14, "Bad address";
    ENOTBLK = 15, "Block device required";
    EBUSY = 16, "Device or resource busy";
    EEXIST = 17, "File exists";
    EXDEV = 18, "Invalid cross-device link";
    ENODEV = 19, "No such device";
    ENOTDIR = 20, "Not a directory";
    EISDIR = 21, "Is a directory";
    EINVAL = 22, "Invalid argument";
    ENFILE = 23, "Too many open files in system";
    EMFILE = 24, "Too many open files";
    ENOTTY = 25, "Inappropriate ioctl for device";
    ETXTBSY = 26, "Text file busy";
    EFBIG = 27, "File too large";
    ENOSPC = 28, "No space left on device";
    ESPIPE = 29, "Illegal seek";
    EROFS = 30, "Read-only file system";
    EMLINK = 31, "Too many links";
    EPIPE = 32, "Broken pipe";
    EDOM = 33, "Numerical argument out of domain";
    ERANGE = 34, "Numerical result out of range";
    EDEADLK = 35, "Resource deadlock avoided";
    ENAMETOOLONG = 36, "File name too long";
    ENOLCK = 37, "No locks available";
    ENOSYS = 38, "Function not implemented";
    ENOTEMPTY = 39, "Directory not empty";
    ELOOP = 40, "Too many levels of symbolic links";
    ENOMSG = 42, "No message of desired type";
    EIDRM = 43, "Identifier removed";
    ECHRNG = 44, "Channel number out of range";
    EL2NSYNC = 45, "Level 2 not synchronized";
    EL3HLT = 46, "Level 3 halted";
    EL3RST = 47, "Level 3 reset";
    ELNRNG = 48, "Link number out of range";
    EUNATCH = 49, "Protocol driver not attached";
    ENOCSI = 50, "No CSI structure available";
    EL2HLT = 51, "Level 2 halted";
    EBADE = 52, "Invalid exchange";
    EBADR = 53, "Invalid request descriptor";
    EXFULL = 54, "Exchange full";
    ENOANO = 55, "No anode";
    EBADRQC = 56, "Invalid request code";
    EBADSLT = 57, "Invalid slot";
    EBFONT = 59, "Bad font file format";
    ENOSTR = 60, "Device not a stream";
    ENODATA = 61, "No data available";
    ETIME = 62, "Timer expired";
    ENOSR = 63, "Out of streams resources";
    ENONET = 64, "Machine is not on the network";
    ENOPKG = 65, "Package not installed";
    EREMOTE = 66, "Object is remote";
    ENOLINK = 67, "Link has been severed";
    EADV = 68, "Advertise error";
    ESRMNT = 69, "Srmount error";
    ECOMM = 70, "Communication error on send";
    EPROTO = 71, "Protocol error";
    EMULTIHOP = 72, "Multihop attempted";
    EDOTDOT = 73, "RFS specific error";
    EBADMSG = 74, "Bad message";
    EOVERFLOW = 75, "Value too large for defined data type";
    ENOTUNIQ = 76, "Name not unique on network";
    EBADFD = 77, "File descriptor in bad state";
    EREMCHG = 78, "Remote address changed";
    ELIBACC = 79, "Can not access a needed shared library";
    ELIBBAD = 80, "Accessing a corrupted shared library";
    ELIBSCN = 81, ".lib section in a.out corrupted";
    ELIBMAX = 82, "Attempting to link in too many shared libraries";
    ELIBEXEC = 83, "Cannot exec a shared library directly";
    EILSEQ = 84, "Invalid or incomplete multibyte or wide character";
    ERESTART = 85, "Interrupted system call should be restarted";
    ESTRPIPE = 86, "Streams pipe error";
    EUSERS = 87, "Too many users";
    ENOTSOCK = 88, "Socket operation on non-socket";
    EDESTADDRREQ = 89, "Destination address required";
    EMSGSIZE = 90, "Message too long";
    EPROTOTYPE = 91, "Protocol wrong type for socket";
    ENOPROTOOPT = 92, "Protocol not available";
    EPROTONOSUPPORT = 93, "Protocol not supported";
    ESOCKTNOSUPPORT = 94, "Socket type not supported";
    EOPNOTSUPP = 95, "Operation not supported";
    EPFNOSUPPORT = 96, "Protocol family not supported";
    EAFNOSUPPORT = 97, "Address family not supported by protocol";
    EADDRINUSE = 98, "Address already in use";
    EADDRNOTAVAIL = 99, "Cannot assign requested address";
    ENETDOWN = 100, "Network is down";
    ENETUNREACH = 101, "Network is unreachable";
    ENETRESET = 102, "Network dropped connection on reset";
    ECONNABORTED = 103, "Software caused connection abort";
    ECONNRESET = 104, "Connection reset by peer";
    ENOBUFS = 105, "No buffer space available";
    EISCONN = 106, "Transport endpoint is already connected";
    ENOTCONN = 107, "Transport endpoint is not connected";
    ESHUTDOWN = 108, "Cannot send after transport endpoint shutdown";
    ETOOMANYREFS = 109, "Too many references: cannot splice";
    ETIMEDOUT = 110, "Connection timed out";
    ECONNREFUSED = 111, "Connection refused";
    EHOSTDOWN = 112, "Host is down";
    EHOSTUNREACH = 113, "No route to host";
    EALREADY = 114, "Operation already in progress";
    EINPROGRESS = 115, "Operation now in progress";
    ESTALE = 116, "Stale file handle";
    EUCLEAN = 117, "Structure needs cleaning";
    ENOTNAM = 118, "Not a XENIX named type file";
    ENAVAIL = 119, "No XENIX semaphores available";
    EISNAM = 120, "Is a named type file";
    EREMOTEIO = 121, "Remote I/O error";
    EDQUOT = 122, "Disk quota exceeded";
    ENOMEDIUM = 123, "No medium found";
    EMEDIUMTYPE = 124, "Wrong medium type";
    ECANCELED = 125, "Operation canceled";
    ENOKEY = 126, "Required key not available";
    EKEYEXPIRED = 127, "Key has expired";
    EKEYREVOKED = 128, "Key has been revoked";
    EKEYREJECTED = 129, "Key was rejected by service";
    EOWNERDEAD = 130, "Owner died";
    ENOTRECOVERABLE = 131, "State not recoverable";
    ERFKILL = 132, "Operation not possible due to RF-kill";
    EHWPOISON = 133, "Memory page has hardware error";
}

impl Errno {
    /// Same value as [`Errno::EAGAIN`]; Linux does not distinguish the two.
    pub const EWOULDBLOCK: Errno = Errno::EAGAIN;
    /// Same value as [`Errno::EDEADLK`] on x86.
    pub const EDEADLOCK: Errno = Errno::EDEADLK;
    /// Same value as [`Errno::EOPNOTSUPP`] on Linux.
    pub const ENOTSUP: Errno = Errno::EOPNOTSUPP;

    /// The raw value stored in `errno`.
    pub const fn as_raw(self) -> i32 {
        self as i32
    }

    /// The system call return value that reports this error: `-errno`.
    pub const fn as_syscall_return(self) -> i64 {
        -(self as i64)
    }

    /// The error a system call return value reports, if it is `-errno` for a known error.
    pub const fn from_syscall_return(value: i64) -> Option<Self> {
        if is_error_return(value) {
            Errno::from_raw(-value as i32)
        } else {
            None
        }
    }
}

impl core::fmt::Display for Errno {
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        formatter.write_str(self.description())
    }
}

impl core::error::Error for Errno {}

/// Whether a raw system call return value is `-errno` (in `-4095..=-1`) rather than a result.
pub const fn is_error_return(value: i64) -> bool {
    value < 0 && value >= -(MAX_ERRNO as i64)
}

/// Encodes a result as a system call return value: the value itself, or `-errno`.
///
/// A successful value must not fall in the error range when seen as an `i64`; Linux
/// guarantees that for every call (addresses above `-4096` are never handed out).
pub const fn encode_return(result: Result<u64, Errno>) -> i64 {
    match result {
        Ok(value) => value as i64,
        Err(errno) => errno.as_syscall_return(),
    }
}

/// Decodes a system call return value into the result or the raw error number.
///
/// The error is raw because a value in the error range need not be an error this
/// crate knows; [`Errno::from_raw`] names it when it is.
pub const fn decode_return(value: i64) -> Result<u64, i32> {
    if is_error_return(value) {
        Err(-value as i32)
    } else {
        Ok(value as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_defines_errno_1_to_133_except_41_and_58() {
        assert_eq!(Errno::ALL.len(), 131);
        for raw in -10..200 {
            let expected = (1..=133).contains(&raw) && raw != 41 && raw != 58;
            assert_eq!(Errno::from_raw(raw).is_some(), expected, "errno {raw}");
        }
        for errno in Errno::ALL {
            assert_eq!(Errno::from_raw(errno.as_raw()), Some(*errno));
        }
        assert!(Errno::ALL.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn aliases_match_libc() {
        assert_eq!(Errno::EWOULDBLOCK.as_raw(), libc::EWOULDBLOCK);
        assert_eq!(Errno::EDEADLOCK.as_raw(), libc::EDEADLOCK);
        assert_eq!(Errno::ENOTSUP.as_raw(), libc::ENOTSUP);
        assert_eq!(MAX_ERRNO, 4095);
    }

    #[test]
    fn names_and_descriptions() {
        assert_eq!(Errno::ENOENT.name(), "ENOENT");
        assert_eq!(Errno::E2BIG.name(), "E2BIG");
        assert_eq!(Errno::EHWPOISON.name(), "EHWPOISON");
        assert_eq!(Errno::ENOENT.description(), "No such file or directory");
        for errno in Errno::ALL {
            assert!(errno.name().starts_with('E'));
            assert!(!errno.description().is_empty());
        }
    }

    #[test]
    fn negative_return_convention() {
        assert_eq!(Errno::EBADF.as_syscall_return(), -9);
        assert_eq!(Errno::from_syscall_return(-9), Some(Errno::EBADF));
        assert_eq!(Errno::from_syscall_return(9), None);
        assert_eq!(Errno::from_syscall_return(-41), None);
        assert!(is_error_return(-1));
        assert!(is_error_return(-4095));
        assert!(!is_error_return(-4096));
        assert!(!is_error_return(0));
        assert_eq!(encode_return(Ok(7)), 7);
        assert_eq!(encode_return(Err(Errno::EINTR)), -4);
        assert_eq!(decode_return(-4), Err(4));
        assert_eq!(decode_return(-4096), Ok(-4096_i64 as u64));
        assert_eq!(decode_return(12), Ok(12));
        for errno in Errno::ALL {
            assert_eq!(
                decode_return(encode_return(Err(*errno))),
                Err(errno.as_raw())
            );
        }
    }
}
