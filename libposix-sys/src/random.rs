//! `getrandom` flags (`GRND_*`).

/// Fail with `EAGAIN` instead of blocking until the generator is seeded.
pub const GRND_NONBLOCK: u32 = 0x0001;
/// Draw from the blocking pool (on Linux since 5.6 the same generator as without it).
pub const GRND_RANDOM: u32 = 0x0002;
/// Return bytes even before the generator is seeded.
pub const GRND_INSECURE: u32 = 0x0004;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi_check::{assert_every_constant_checked, check_constants};

    #[test]
    fn constants_match_libc() {
        let checked = check_constants!(GRND_NONBLOCK, GRND_RANDOM, GRND_INSECURE);
        assert_every_constant_checked(include_str!("random.rs"), &[checked]);
    }
}
