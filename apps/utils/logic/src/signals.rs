//! Signal names and numbers (Linux x86_64) for `kill -SIG` and `kill -l`.

/// The standard signals by number (index + 1).
pub const NAMES: [&str; 31] = [
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
    "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
    "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
];

/// The number of a signal named `HUP`, `SIGHUP`, `hup` or given as a number (0 included).
#[must_use]
pub fn number(name: &str) -> Option<i32> {
    if let Ok(value) = name.parse::<i32>() {
        return (0..=64).contains(&value).then_some(value);
    }
    let upper = name.to_ascii_uppercase();
    let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
    NAMES
        .iter()
        .position(|candidate| *candidate == bare)
        .map(|index| index as i32 + 1)
}

/// The name (without `SIG`) of signal `value`.
#[must_use]
pub fn name(value: i32) -> Option<&'static str> {
    usize::try_from(value - 1)
        .ok()
        .and_then(|index| NAMES.get(index).copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        assert_eq!(number("KILL"), Some(9));
        assert_eq!(number("SIGTERM"), Some(15));
        assert_eq!(number("term"), Some(15));
        assert_eq!(number("0"), Some(0));
        assert_eq!(number("9"), Some(9));
        assert_eq!(number("NOPE"), None);
        assert_eq!(name(13), Some("PIPE"));
        assert_eq!(name(0), None);
        for value in 1..=31 {
            assert_eq!(number(name(value).unwrap()), Some(value));
        }
    }
}
