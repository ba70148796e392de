//! `lseek` origins (`SEEK_*`).

/// The offset is from the start of the file.
pub const SEEK_SET: i32 = 0;
/// The offset is from the current position.
pub const SEEK_CUR: i32 = 1;
/// The offset is from the end of the file.
pub const SEEK_END: i32 = 2;
/// Move to the next data at or after the offset.
pub const SEEK_DATA: i32 = 3;
/// Move to the next hole at or after the offset.
pub const SEEK_HOLE: i32 = 4;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi_check::{assert_every_constant_checked, check_constants};

    #[test]
    fn constants_match_libc() {
        let checked = check_constants!(SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE);
        assert_every_constant_checked(include_str!("seek.rs"), &[checked]);
    }
}
