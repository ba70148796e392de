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
}
