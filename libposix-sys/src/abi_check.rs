//! Test support: compare this crate's constants and layouts with the `libc` crate of the host.

/// Asserts that each listed constant of the calling module equals the `libc` constant of the
/// same name (or the given expected expression) and evaluates to the list of names checked.
///
/// Values are compared as `i128`, so a constant may use the kernel's type where `libc`
/// uses the C library's (for example `u32` against `c_uint`) as long as the value is the
/// same; where `libc` stores a high bit in a signed type the entry says `= libc::X as u32`.
macro_rules! check_constants {
    (@one $name:ident) => {
        assert_eq!($name as i128, libc::$name as i128, "{} differs from libc", stringify!($name))
    };
    (@one $name:ident = $expected:expr) => {
        assert_eq!($name as i128, ($expected) as i128, "{} differs from the expected value", stringify!($name))
    };
    ($($name:ident $(= $expected:expr)?),* $(,)?) => {{
        $( $crate::abi_check::check_constants!(@one $name $(= $expected)?); )*
        &[$(stringify!($name)),*] as &[&str]
    }};
}

/// Asserts that a structure has the size, alignment and field offsets of the `libc` one.
///
/// The field list must name every field of the structure (a pattern without `..` makes a
/// forgotten field a compile error); `ours = theirs` maps a field whose `libc` name differs,
/// and `ours = _` marks padding that `libc` keeps private (its offset follows from the others).
macro_rules! check_layout {
    (@offset $ours:ident, $theirs:ty, $field:ident = _) => {};
    (@offset $ours:ident, $theirs:ty, $field:ident) => {
        assert_eq!(
            core::mem::offset_of!($ours, $field),
            core::mem::offset_of!($theirs, $field),
            "offset of {}.{}", stringify!($ours), stringify!($field)
        )
    };
    (@offset $ours:ident, $theirs:ty, $field:ident = $their_field:tt) => {
        assert_eq!(
            core::mem::offset_of!($ours, $field),
            core::mem::offset_of!($theirs, $their_field),
            "offset of {}.{}", stringify!($ours), stringify!($field)
        )
    };
    ($ours:ident, $theirs:ty, { $($field:ident $(= $their_field:tt)?),* $(,)? }) => {{
        let _every_field_is_listed = |value: $ours| {
            let $ours { $($field: _),* } = value;
        };
        assert_eq!(
            core::mem::size_of::<$ours>(),
            core::mem::size_of::<$theirs>(),
            "size of {}", stringify!($ours)
        );
        assert_eq!(
            core::mem::align_of::<$ours>(),
            core::mem::align_of::<$theirs>(),
            "alignment of {}", stringify!($ours)
        );
        $( $crate::abi_check::check_layout!(@offset $ours, $theirs, $field $(= $their_field)?); )*
    }};
}

pub(crate) use check_constants;
pub(crate) use check_layout;

/// Asserts that every top-level `pub const` item in `source` (a module's own text) is in
/// `checked`, so that a constant added later cannot escape the comparison with `libc`.
pub(crate) fn assert_every_constant_checked(source: &str, checked: &[&[&str]]) {
    let mut count = 0;
    for line in source.lines() {
        let Some(rest) = line.strip_prefix("pub const ") else {
            continue;
        };
        if rest.starts_with("fn ") {
            continue;
        }
        let name = rest.split(':').next().unwrap_or_default().trim();
        count += 1;
        assert!(
            checked.iter().any(|list| list.contains(&name)),
            "constant {name} is not compared with libc or an expected value"
        );
    }
    assert!(
        count > 0,
        "no constants found; is the source text the right file?"
    );
}
