//! The pure logic of the native utilities (`apps/utils`): everything that needs no kernel,
//! so that `cargo test -p utility-logic` checks it on the host.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod calendar;
pub mod cut;
pub mod identity;
pub mod listing;
pub mod mode;
pub mod names;
pub mod options;
pub mod pattern;
pub mod printf;
pub mod process_status;
pub mod seq;
pub mod signals;
pub mod sort;
pub mod test_expression;
pub mod tr;
pub mod uniq;
pub mod wc;

/// Every name the multi-call program answers to (besides `utils` itself); the build makes each
/// a hard link `/bin/NAME` from `apps/utils/initramfs-names`, which a test keeps equal to this.
pub const UTILITIES: &[&str] = &[
    "[", "basename", "cat", "chmod", "chown", "cp", "cut", "date", "dirname", "dmesg", "echo",
    "env", "false", "grep", "head", "id", "kill", "ln", "ls", "mkdir", "mount", "mv", "printf",
    "ps", "pwd", "rm", "rmdir", "seq", "sleep", "sort", "stat", "tail", "tee", "test", "touch",
    "tr", "true", "umount", "uname", "uniq", "wc", "yes",
];

#[cfg(test)]
mod tests {
    #[test]
    fn the_initramfs_names_are_the_utilities() {
        let listed: alloc::vec::Vec<&str> = include_str!("../../initramfs-names")
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .collect();
        assert_eq!(listed, super::UTILITIES);
    }
}
