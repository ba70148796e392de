//! `uname`: this system's identification, answered from constants in the LibOS (no kernel entry,
//! no IPC). There is no `sethostname` yet, so the host name is fixed.

use libposix_sys::utsname::Utsname;

/// The operating system name `uname -s` reports.
pub const SYSTEM_NAME: &str = "Exokernel";

/// The fixed host name (`uname -n`): nothing can change it until a `sethostname` exists.
pub const HOST_NAME: &str = "exokernel";

/// The release (`uname -r`): the workspace version this LibOS was built from.
pub const RELEASE: &str = env!("CARGO_PKG_VERSION");

/// The version string (`uname -v`).
pub const VERSION: &str = "#1 capability exokernel with a POSIX LibOS";

/// The hardware name (`uname -m`).
pub const MACHINE: &str = "x86_64";

/// The NIS domain name, `(none)` as Linux reports when it is unset.
pub const DOMAIN_NAME: &str = "(none)";

/// `uname`: fills a Linux `struct utsname`. It cannot fail (there is no user pointer to fault
/// on), so it answers the structure itself.
#[must_use]
pub fn uname() -> Utsname {
    Utsname {
        sysname: Utsname::field(SYSTEM_NAME),
        nodename: Utsname::field(HOST_NAME),
        release: Utsname::field(RELEASE),
        version: Utsname::field(VERSION),
        machine: Utsname::field(MACHINE),
        domainname: Utsname::field(DOMAIN_NAME),
    }
}
