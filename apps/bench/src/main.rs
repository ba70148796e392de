//! `bench`: the operating-system microbenchmarks `cargo xtask bench` runs on this system and on
//! Linux under the same QEMU. One source, two targets: linked against `libos` for this system
//! (`x86_64-unknown-none`) and a static musl binary booted as Linux's `/init`
//! (`x86_64-unknown-linux-musl`); only `platform/` differs.
//!
//! `bench [NAME…]` measures the named operations (all without names); `bench exit` and the other
//! helper modes are the child processes the measurements start.
#![cfg_attr(target_os = "none", no_std)]
#![cfg_attr(target_os = "none", no_main)]

#[cfg(target_os = "none")]
extern crate alloc;

mod operation;
mod platform;
mod suite;

#[cfg(target_os = "none")]
libos::main!(native_main);

#[cfg(target_os = "none")]
fn native_main(startup: &libos::Startup) -> i32 {
    let started = platform::cycles();
    let arguments: alloc::vec::Vec<alloc::string::String> = startup.arguments().collect();
    let words: alloc::vec::Vec<&str> = arguments.iter().skip(1).map(|word| word.as_str()).collect();
    if let Some(status) = platform::run_helper(&words) {
        return status;
    }
    platform::print_line(format_args!("bench-start exokernel"));
    platform::report_boot(started);
    suite::run(&words);
    0
}

#[cfg(target_os = "linux")]
fn main() {
    let arguments: Vec<String> = std::env::args().collect();
    let words: Vec<&str> = arguments.iter().skip(1).map(String::as_str).collect();
    if let Some(status) = platform::run_helper(&words) {
        std::process::exit(status);
    }
    platform::prepare();
    platform::print_line(format_args!("bench-start linux"));
    platform::settle();
    // Kernel command-line words that are not options reach `/init` as arguments.
    suite::run(&words);
    platform::finish();
}
