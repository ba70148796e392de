//! Just enough reading of `Cargo.toml` files to find package names and the workspace's default members.
//!
//! The build tool only needs two facts from manifests, so a line-based reader keeps it free of a TOML
//! dependency: the `name` in `[package]`, and the strings of `default-members` in `[workspace]`.

use std::path::{Path, PathBuf};

use crate::error::{Result, XtaskError};

/// The `name` of the `[package]` section, if the manifest has one.
pub fn package_name(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines().map(without_comment) {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
            continue;
        }
        if !in_package {
            continue;
        }
        if let Some((key, value)) = line.split_once('=')
            && key.trim() == "name"
        {
            return quoted_strings(value).into_iter().next();
        }
    }
    None
}

/// The strings listed in `default-members` of the `[workspace]` section (empty if there is none).
pub fn workspace_default_members(manifest: &str) -> Vec<String> {
    let mut in_workspace = false;
    let mut collecting = false;
    let mut array_text = String::new();
    for line in manifest.lines().map(without_comment) {
        let trimmed = line.trim();
        if collecting {
            array_text.push_str(trimmed);
            if trimmed.contains(']') {
                break;
            }
            continue;
        }
        if trimmed.starts_with('[') && !trimmed.starts_with("[[") && trimmed.ends_with(']') {
            in_workspace = trimmed == "[workspace]";
            continue;
        }
        if !in_workspace {
            continue;
        }
        if let Some((key, value)) = trimmed.split_once('=')
            && key.trim() == "default-members"
        {
            array_text.push_str(value);
            if value.contains(']') {
                break;
            }
            collecting = true;
        }
    }
    quoted_strings(&array_text)
}

/// Reads the package name from the manifest at `path`, failing with a message naming the file.
pub fn read_package_name(path: &Path) -> Result<String> {
    let text =
        std::fs::read_to_string(path).map_err(|error| XtaskError::io("read", path, &error))?;
    package_name(&text).ok_or_else(|| {
        XtaskError::new(format!(
            "{} has no `name = \"…\"` in its [package] section; add one",
            path.display()
        ))
    })
}

/// The package names of the workspace's default members (`dir/*` globs are expanded).
pub fn default_member_packages(workspace_root: &Path) -> Result<Vec<String>> {
    let manifest_path = workspace_root.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest_path)
        .map_err(|error| XtaskError::io("read", &manifest_path, &error))?;
    let mut packages = Vec::new();
    for member in workspace_default_members(&text) {
        for directory in expand_member(workspace_root, &member)? {
            packages.push(read_package_name(&directory.join("Cargo.toml"))?);
        }
    }
    Ok(packages)
}

/// The member directories named by one `members` entry: itself, or for `dir/*` every subdirectory
/// of `dir` that has a `Cargo.toml`.
fn expand_member(workspace_root: &Path, member: &str) -> Result<Vec<PathBuf>> {
    let Some(parent) = member.strip_suffix("/*") else {
        return Ok(vec![workspace_root.join(member)]);
    };
    let directory = workspace_root.join(parent);
    let Ok(entries) = std::fs::read_dir(&directory) else {
        return Ok(Vec::new());
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|error| XtaskError::io("list", &directory, &error))?;
        if entry.path().join("Cargo.toml").is_file() {
            found.push(entry.path());
        }
    }
    found.sort();
    Ok(found)
}

/// The line up to an unquoted `#`.
fn without_comment(line: &str) -> &str {
    let mut in_string = false;
    for (index, character) in line.char_indices() {
        match character {
            '"' => in_string = !in_string,
            '#' if !in_string => return &line[..index],
            _ => {}
        }
    }
    line
}

/// Every `"…"` string in `text`, in order (manifests here use no escapes in names and paths).
fn quoted_strings(text: &str) -> Vec<String> {
    text.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORKSPACE: &str = r#"
[workspace]
resolver = "3"
members = ["a", "b"]
default-members = [
    "exokernel/abi", # the ABI
    "boot",
    "apps/*",
]

[workspace.dependencies]
name = "not-a-package"
"#;

    #[test]
    fn reads_multi_line_default_members() {
        assert_eq!(
            workspace_default_members(WORKSPACE),
            ["exokernel/abi", "boot", "apps/*"]
        );
    }

    #[test]
    fn reads_single_line_default_members() {
        let manifest = "[workspace]\ndefault-members = [\"x\", \"y\"]\nmembers = [\"z\"]\n";
        assert_eq!(workspace_default_members(manifest), ["x", "y"]);
    }

    #[test]
    fn reads_package_name_and_ignores_other_sections() {
        let manifest = "[dependencies]\nname = \"wrong\"\n\n[package]\nname = \"init\" # comment\n";
        assert_eq!(package_name(manifest).as_deref(), Some("init"));
        assert_eq!(package_name(WORKSPACE), None);
    }
}
