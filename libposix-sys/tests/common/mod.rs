//! Shared by the kernel tests: the raw `syscall` instruction, so results keep the kernel's `-errno` form.
#![allow(dead_code)]

use libposix_sys::errno::{Errno, decode_return};
use libposix_sys::syscall_numbers::SystemCall;

/// Issues `call` with up to six arguments and returns the raw `rax` value.
///
/// # Safety
///
/// The arguments must be valid for the call: every address must point to memory of
/// the size and type the kernel reads or writes, and the call must not change state
/// the test harness relies on (its memory, its threads, its descriptors).
pub unsafe fn raw_system_call(call: SystemCall, arguments: &[u64]) -> i64 {
    let mut registers = [0_u64; 6];
    registers[..arguments.len()].copy_from_slice(arguments);
    let result: i64;
    // SAFETY: the caller guarantees the arguments are valid for the call; the
    // `syscall` instruction clobbers only rcx and r11, which are declared.
    unsafe {
        core::arch::asm!(
            "syscall",
            inlateout("rax") call.number() as i64 => result,
            in("rdi") registers[0],
            in("rsi") registers[1],
            in("rdx") registers[2],
            in("r10") registers[3],
            in("r8") registers[4],
            in("r9") registers[5],
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    result
}

/// [`raw_system_call`] with the return value decoded by this crate's convention.
///
/// # Safety
///
/// As for [`raw_system_call`].
pub unsafe fn system_call(call: SystemCall, arguments: &[u64]) -> Result<u64, Errno> {
    // SAFETY: forwarded from the caller.
    let value = unsafe { raw_system_call(call, arguments) };
    decode_return(value)
        .map_err(|raw| Errno::from_raw(raw).expect("the kernel returned an unknown errno"))
}

/// The address of a value, as a system call argument.
pub fn address_of<T>(value: &T) -> u64 {
    value as *const T as u64
}

/// The address of a mutable value, as a system call argument.
pub fn mutable_address_of<T>(value: &mut T) -> u64 {
    value as *mut T as u64
}

/// A NUL-terminated copy of a path, for system calls.
pub fn c_path(path: &std::path::Path) -> std::ffi::CString {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::CString::new(path.as_os_str().as_bytes()).expect("the path has no NUL")
}

/// A fresh, empty directory for one test, removed when dropped.
pub struct ScratchDirectory {
    pub path: std::path::PathBuf,
}

impl ScratchDirectory {
    pub fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("libposix-sys-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create the scratch directory");
        ScratchDirectory { path }
    }
}

impl Drop for ScratchDirectory {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
