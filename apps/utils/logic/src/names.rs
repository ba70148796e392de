//! `basename` and `dirname` as POSIX specifies them (trailing slashes, `//`, suffixes).

use alloc::string::String;

/// `basename STRING [SUFFIX]`.
#[must_use]
pub fn basename(path: &str, suffix: Option<&str>) -> String {
    if path.is_empty() {
        return String::new();
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return String::from("/");
    }
    let name = trimmed.rsplit('/').next().unwrap_or(trimmed);
    if let Some(suffix) = suffix
        && name != suffix
        && let Some(stripped) = name.strip_suffix(suffix)
    {
        return String::from(stripped);
    }
    String::from(name)
}

/// `dirname STRING`.
#[must_use]
pub fn dirname(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return String::from(if path.is_empty() { "." } else { "/" });
    }
    match trimmed.rfind('/') {
        None => String::from("."),
        Some(index) => {
            let parent = trimmed[..index].trim_end_matches('/');
            String::from(if parent.is_empty() { "/" } else { parent })
        }
    }
}

/// The last component of `path` for naming a copy or link in a directory.
#[must_use]
pub fn last_component(path: &str) -> String {
    basename(path, None)
}

/// Why `chown`'s owner operand was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnerError {
    /// The user part is not a number (there is no user database yet).
    User,
    /// The group part is not a number.
    Group,
}

/// `chown`'s `OWNER[:GROUP]` (also `OWNER:` and `:GROUP`), numeric ids only: the user and the
/// group to set, `None` to leave one.
///
/// # Errors
/// [`OwnerError`].
pub fn parse_owner(text: &str) -> Result<(Option<u32>, Option<u32>), OwnerError> {
    let number = |text: &str| text.parse::<u32>().ok().filter(|&value| value != u32::MAX);
    let (user, group) = text
        .split_once(':')
        .map_or((text, None), |(user, group)| (user, Some(group)));
    let user = match user {
        "" if group.is_some() => None,
        user => Some(number(user).ok_or(OwnerError::User)?),
    };
    let group = match group {
        None | Some("") => None,
        Some(group) => Some(number(group).ok_or(OwnerError::Group)?),
    };
    Ok((user, group))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_examples() {
        for (path, base, directory) in [
            ("/usr/lib", "lib", "/usr"),
            ("/usr/", "usr", "/"),
            ("usr", "usr", "."),
            ("/", "/", "/"),
            ("//", "/", "/"),
            ("", "", "."),
            ("a//b//", "b", "a"),
            ("/a", "a", "/"),
        ] {
            assert_eq!(basename(path, None), base, "basename {path}");
            assert_eq!(dirname(path), directory, "dirname {path}");
        }
        assert_eq!(basename("/x/file.c", Some(".c")), "file");
        assert_eq!(basename(".c", Some(".c")), ".c");
    }

    #[test]
    fn owners() {
        assert_eq!(parse_owner("1000"), Ok((Some(1000), None)));
        assert_eq!(parse_owner("1000:100"), Ok((Some(1000), Some(100))));
        assert_eq!(parse_owner(":100"), Ok((None, Some(100))));
        assert_eq!(parse_owner("0:"), Ok((Some(0), None)));
        assert_eq!(parse_owner("root"), Err(OwnerError::User));
        assert_eq!(parse_owner(""), Err(OwnerError::User));
        assert_eq!(parse_owner("1:x"), Err(OwnerError::Group));
        assert_eq!(parse_owner("4294967295"), Err(OwnerError::User));
    }
}
