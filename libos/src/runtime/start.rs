//! `_start`: from the registers the kernel (or the parent's LibOS) set up to `main`.
//!
//! The start-up protocol: `rdi` points at the command (percent-encoded words separated by
//! spaces), `rsi` its length (at most 4096), `rdx` the initramfs length; then, from `exec`,
//! `rcx`..`r8` a range of slots the old image left behind that start-up deletes before anything
//! else (0, 0: none), and `r9` the length of the environment (words like the command's), which
//! follows the command and one NUL byte. The kernel and `spawn` leave `rcx`, `r8`, `r9` zero.

use core::arch::global_asm;

use crate::kernel::exit;

/// What a program starts with.
#[derive(Clone, Copy, Debug)]
pub struct Startup {
    /// The command, as words separated by spaces, each percent-encoded.
    pub command: &'static str,
    /// Length of the initramfs in bytes (0 if none was handed over).
    pub initramfs_length: u64,
    /// The environment (`NAME=value` words, percent-encoded, separated by spaces; empty unless
    /// started by `execve` with one).
    pub environment: &'static str,
}

impl Startup {
    /// The environment's words, percent-decoded.
    pub fn environment_variables(&self) -> impl Iterator<Item = alloc::string::String> + '_ {
        self.environment
            .split(' ')
            .filter(|word| !word.is_empty())
            .map(percent_decode)
    }

    /// The command's words, percent-decoded into `buffer`-backed strings.
    pub fn arguments(&self) -> impl Iterator<Item = alloc::string::String> + '_ {
        self.command
            .split(' ')
            .filter(|word| !word.is_empty())
            .map(percent_decode)
    }
}

/// Decodes `%XX` escapes; malformed escapes are kept as written.
#[must_use]
pub fn percent_decode(word: &str) -> alloc::string::String {
    let bytes = word.as_bytes();
    let mut decoded = alloc::vec::Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escape = bytes
            .get(index + 1..index + 3)
            .filter(|_| bytes[index] == b'%');
        if let Some(value) = escape
            .and_then(|hex| core::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            decoded.push(value);
            index += 3;
            continue;
        }
        decoded.push(bytes[index]);
        index += 1;
    }
    alloc::string::String::from_utf8_lossy(&decoded).into_owned()
}

global_asm!(
    r#"
    .text
    .global _start
_start:
    xorl %ebp, %ebp
    andq $-16, %rsp
    call libos_start
    ud2
    "#,
    options(att_syntax)
);

unsafe extern "Rust" {
    /// The program's `main`, declared with [`crate::main!`].
    fn __libos_main(startup: &Startup) -> i32;
}

#[unsafe(no_mangle)]
extern "C" fn libos_start(
    command: *const u8,
    command_length: u64,
    initramfs_length: u64,
    clear_first: u64,
    clear_end: u64,
    environment_length: u64,
) -> ! {
    // Before the heap takes any slot: the descriptor table handed over (its slots are kept),
    // then what the image before an `exec` left in our space.
    let inherited = crate::io::inheritance::receive_at_start();
    clear_left_behind(clear_first, clear_end);
    let command_length = command_length.min(4096) as usize;
    // SAFETY: the starter placed `command_length` bytes of ASCII at `command` on our stack,
    // which lives as long as the program.
    let bytes = unsafe { core::slice::from_raw_parts(command, command_length) };
    let command = core::str::from_utf8(bytes).unwrap_or("");
    let environment_length = environment_length.min(4096) as usize;
    let environment = if environment_length == 0 {
        ""
    } else {
        // SAFETY: the starter placed `environment_length` bytes after the command and a NUL,
        // on our stack, which lives as long as the program.
        let bytes = unsafe {
            core::slice::from_raw_parts(
                command.as_ptr().add(command_length + 1),
                environment_length,
            )
        };
        core::str::from_utf8(bytes).unwrap_or("")
    };
    super::heap::initialise();
    super::clock::map_time_page();
    if let Some(inherited) = inherited {
        crate::io::inheritance::adopt_at_start(inherited);
    }
    crate::process::set_initramfs_length(initramfs_length);
    crate::process::exec::set_environment(environment);
    let startup = Startup {
        command,
        initramfs_length,
        environment,
    };
    // SAFETY: the program defines `__libos_main` through `libos::main!`.
    let status = unsafe { __libos_main(&startup) };
    exit(status as u64 & 0xff)
}

/// Deletes slots `first..end` (only above the slots start-up fills and within a space), except
/// those marked used (the inherited descriptors').
fn clear_left_behind(first: u64, end: u64) {
    let first = first.max(u64::from(exokernel_abi::initial::FIRST_FREE_SLOT.0));
    let end = end.min(exokernel_abi::initial::SLOT_COUNT);
    for slot in first..end {
        let slot = exokernel_abi::Slot(slot as u32);
        if crate::slots::is_used(slot) {
            continue;
        }
        let _ = crate::kernel::call(exokernel_abi::Call::CapabilityDelete { slot });
    }
}

/// Declares the program's `main`: `libos::main!(main); fn main(startup: &Startup) -> i32`.
#[macro_export]
macro_rules! main {
    ($function:path) => {
        #[unsafe(no_mangle)]
        extern "Rust" fn __libos_main(startup: &$crate::Startup) -> i32 {
            let function: fn(&$crate::Startup) -> i32 = $function;
            function(startup)
        }
    };
}

#[panic_handler]
fn panic(information: &core::panic::PanicInfo<'_>) -> ! {
    crate::println!("panic: {information}");
    exit(101)
}
