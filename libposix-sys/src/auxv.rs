//! The auxiliary vector the kernel places after `envp` on a new process's stack: `AT_*` keys and the entry type.
//!
//! These `AT_*` keys share their prefix with the unrelated `*at` flags of
//! [`crate::fcntl`]; the two never meet in one call.

/// End of the vector.
pub const AT_NULL: u64 = 0;
/// Entry to ignore.
pub const AT_IGNORE: u64 = 1;
/// Descriptor of the program file (when the interpreter is started on an open file).
pub const AT_EXECFD: u64 = 2;
/// Address of the program headers in memory.
pub const AT_PHDR: u64 = 3;
/// Size of one program header.
pub const AT_PHENT: u64 = 4;
/// Number of program headers.
pub const AT_PHNUM: u64 = 5;
/// The page size.
pub const AT_PAGESZ: u64 = 6;
/// Base address of the interpreter (dynamic linker).
pub const AT_BASE: u64 = 7;
/// Flags (unused).
pub const AT_FLAGS: u64 = 8;
/// The program's entry point.
pub const AT_ENTRY: u64 = 9;
/// The program is not ELF.
pub const AT_NOTELF: u64 = 10;
/// Real user ID.
pub const AT_UID: u64 = 11;
/// Effective user ID.
pub const AT_EUID: u64 = 12;
/// Real group ID.
pub const AT_GID: u64 = 13;
/// Effective group ID.
pub const AT_EGID: u64 = 14;
/// Address of a string naming the platform (`"x86_64"`).
pub const AT_PLATFORM: u64 = 15;
/// CPU capability bits (CPUID leaf 1 EDX on x86).
pub const AT_HWCAP: u64 = 16;
/// Clock ticks per second (`sysconf(_SC_CLK_TCK)`).
pub const AT_CLKTCK: u64 = 17;
/// Non-zero for a set-user-ID or otherwise privileged program.
pub const AT_SECURE: u64 = 23;
/// Address of a string naming the real platform.
pub const AT_BASE_PLATFORM: u64 = 24;
/// Address of 16 random bytes (stack protector and pointer guard seeds).
pub const AT_RANDOM: u64 = 25;
/// More CPU capability bits.
pub const AT_HWCAP2: u64 = 26;
/// Size of the `rseq` area the kernel supports.
pub const AT_RSEQ_FEATURE_SIZE: u64 = 27;
/// Alignment the `rseq` area needs.
pub const AT_RSEQ_ALIGN: u64 = 28;
/// More CPU capability bits.
pub const AT_HWCAP3: u64 = 29;
/// More CPU capability bits.
pub const AT_HWCAP4: u64 = 30;
/// Address of the file name the program was executed with.
pub const AT_EXECFN: u64 = 31;
/// Address of the vDSO's ELF header.
pub const AT_SYSINFO_EHDR: u64 = 33;
/// The smallest signal stack the kernel's signal frame fits in.
pub const AT_MINSIGSTKSZ: u64 = 51;

/// One auxiliary vector entry (`Elf64_auxv_t`): a key and its value.
#[doc(alias = "Elf64_auxv_t", alias = "auxv_t")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AuxiliaryVectorEntry {
    /// The key (`AT_*`).
    pub a_type: u64,
    /// The value: a number or an address.
    pub a_val: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi_check::{assert_every_constant_checked, check_constants};

    #[test]
    fn constants_match_libc() {
        let checked = check_constants!(
            AT_NULL,
            AT_IGNORE,
            AT_EXECFD,
            AT_PHDR,
            AT_PHENT,
            AT_PHNUM,
            AT_PAGESZ,
            AT_BASE,
            AT_FLAGS,
            AT_ENTRY,
            AT_NOTELF,
            AT_UID,
            AT_EUID,
            AT_GID,
            AT_EGID,
            AT_PLATFORM,
            AT_HWCAP,
            AT_CLKTCK,
            AT_SECURE,
            AT_BASE_PLATFORM,
            AT_RANDOM,
            AT_HWCAP2,
            AT_EXECFN,
            AT_SYSINFO_EHDR,
            AT_MINSIGSTKSZ,
            // uapi linux/auxvec.h (Linux 6.3 and 6.9)
            AT_RSEQ_FEATURE_SIZE = 27,
            AT_RSEQ_ALIGN = 28,
            AT_HWCAP3 = 29,
            AT_HWCAP4 = 30,
        );
        assert_every_constant_checked(include_str!("auxv.rs"), &[checked]);
    }

    #[test]
    fn entry_is_two_words() {
        assert_eq!(core::mem::size_of::<AuxiliaryVectorEntry>(), 16);
        assert_eq!(core::mem::offset_of!(AuxiliaryVectorEntry, a_val), 8);
    }
}
