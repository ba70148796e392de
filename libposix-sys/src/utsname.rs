//! `struct utsname`, filled in by `uname`: six NUL-terminated 65-byte strings.

/// The length of each `utsname` field, terminating NUL included.
pub const UTSNAME_FIELD_LENGTH: usize = 65;

/// System identification (`struct utsname`, the kernel's `new_utsname`).
#[doc(alias = "utsname", alias = "new_utsname")]
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Utsname {
    /// The operating system name, `"Linux"` for binaries that check.
    pub sysname: [u8; UTSNAME_FIELD_LENGTH],
    /// The host name.
    pub nodename: [u8; UTSNAME_FIELD_LENGTH],
    /// The kernel release, such as `"6.1.0"`; C libraries parse it.
    pub release: [u8; UTSNAME_FIELD_LENGTH],
    /// The kernel version (build) string.
    pub version: [u8; UTSNAME_FIELD_LENGTH],
    /// The hardware name, `"x86_64"`.
    pub machine: [u8; UTSNAME_FIELD_LENGTH],
    /// The NIS domain name.
    pub domainname: [u8; UTSNAME_FIELD_LENGTH],
}

impl Default for Utsname {
    fn default() -> Self {
        let empty = [0; UTSNAME_FIELD_LENGTH];
        Utsname {
            sysname: empty,
            nodename: empty,
            release: empty,
            version: empty,
            machine: empty,
            domainname: empty,
        }
    }
}

impl Utsname {
    /// A field holding `text`, cut to 64 bytes so that the NUL always fits.
    pub const fn field(text: &str) -> [u8; UTSNAME_FIELD_LENGTH] {
        let bytes = text.as_bytes();
        let mut field = [0; UTSNAME_FIELD_LENGTH];
        let mut index = 0;
        while index < bytes.len() && index < UTSNAME_FIELD_LENGTH - 1 {
            field[index] = bytes[index];
            index += 1;
        }
        field
    }

    /// The bytes of a field before its first NUL.
    pub fn text(field: &[u8; UTSNAME_FIELD_LENGTH]) -> &[u8] {
        let end = field
            .iter()
            .position(|byte| *byte == 0)
            .unwrap_or(field.len());
        &field[..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi_check::{assert_every_constant_checked, check_constants, check_layout};

    #[test]
    fn constants_match_libc() {
        let checked =
            check_constants!(UTSNAME_FIELD_LENGTH = core::mem::size_of::<libc::utsname>() / 6);
        assert_every_constant_checked(include_str!("utsname.rs"), &[checked]);
    }

    #[test]
    fn layout_matches_libc() {
        check_layout!(Utsname, libc::utsname, {
            sysname, nodename, release, version, machine, domainname,
        });
    }

    #[test]
    fn fields_are_truncated_and_terminated() {
        let field = Utsname::field("Linux");
        assert_eq!(Utsname::text(&field), b"Linux");
        let long = Utsname::field(core::str::from_utf8(&[b'x'; 100]).unwrap());
        assert_eq!(Utsname::text(&long).len(), 64);
        assert_eq!(long[64], 0);
    }
}
