//! Path resolution as Linux does it, over any tree that implements [`Namespace`].
//!
//! Absolute paths start at the root, relative ones at the directory the caller names (the
//! working directory or a `dirfd`). `.` stays, `..` goes to the parent (the root is its own
//! parent), symbolic links are followed — in the middle of a path always, at its end when the
//! caller asks — up to [`SYMLINK_LIMIT`] of them (`ELOOP`). A component that must be a directory
//! and is not gives `ENOTDIR`; a trailing slash makes the last component such a one. Names
//! longer than [`NAME_MAX`] and paths of [`PATH_MAX`] bytes or more give `ENAMETOOLONG`.

use alloc::collections::VecDeque;
use alloc::string::String;

use libposix_sys::errno::Errno;

/// Longest path, counting the terminating NUL (Linux's `PATH_MAX`).
pub const PATH_MAX: usize = 4096;
/// Longest name in a directory.
pub const NAME_MAX: usize = 255;
/// Most symbolic links one resolution follows (Linux's `MAXSYMLINKS`).
pub const SYMLINK_LIMIT: usize = 40;

/// What a node is, as far as resolution cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// A directory: names can be looked up in it.
    Directory,
    /// A symbolic link.
    Symlink,
    /// Anything else (a regular file, a device, a FIFO).
    Other,
}

/// A tree of named nodes that paths are resolved in.
pub trait Namespace {
    /// A node's identity.
    type Node: Copy + Eq;
    /// The root directory.
    fn root(&self) -> Self::Node;
    /// What `node` is.
    fn kind(&self, node: Self::Node) -> NodeKind;
    /// The parent of `directory` (the root's parent is the root).
    fn parent(&self, directory: Self::Node) -> Self::Node;
    /// `name` inside `directory` (a directory).
    ///
    /// # Errors
    /// `ENOENT` when absent, or whatever the tree refuses (`EACCES`).
    fn lookup(&self, directory: Self::Node, name: &str) -> Result<Self::Node, Errno>;
    /// The target of the symbolic link `node`.
    ///
    /// # Errors
    /// Whatever the tree refuses.
    fn read_link(&self, node: Self::Node) -> Result<String, Errno>;
}

/// Whether the last component's symbolic link is followed (`AT_SYMLINK_NOFOLLOW`, `O_NOFOLLOW`
/// and `lstat` say no).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FollowLast {
    /// Follow it.
    Yes,
    /// Resolve to the link itself.
    No,
}

/// The directory a new or removed name lives in, and the name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parent<N> {
    /// The directory.
    pub directory: N,
    /// The last component (may be `.` or `..`, which the caller refuses as it sees fit).
    pub name: String,
    /// Whether the path ended in `/` (the name must then be a directory).
    pub trailing_slash: bool,
}

/// Checks the lengths Linux checks before resolving.
///
/// # Errors
/// `ENOENT` for an empty path; `ENAMETOOLONG`.
pub fn check_lengths(path: &str) -> Result<(), Errno> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    if path.len() >= PATH_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    if path.split('/').any(|name| name.len() > NAME_MAX) {
        return Err(Errno::ENAMETOOLONG);
    }
    Ok(())
}

/// Pushes `path`'s components to the front of `pending`; says whether it ended in a slash.
fn push_front_components(pending: &mut VecDeque<String>, path: &str) -> bool {
    for name in path.split('/').filter(|name| !name.is_empty()).rev() {
        pending.push_front(String::from(name));
    }
    path.ends_with('/')
}

/// Resolves `path` from `start` (used when `path` is relative) to a node.
///
/// # Errors
/// `ENOENT`, `ENOTDIR`, `ELOOP`, `ENAMETOOLONG`, or what the tree's lookup refuses.
pub fn resolve<T: Namespace>(
    tree: &T,
    start: T::Node,
    path: &str,
    follow_last: FollowLast,
) -> Result<T::Node, Errno> {
    check_lengths(path)?;
    let mut current = if path.starts_with('/') {
        tree.root()
    } else {
        start
    };
    if tree.kind(current) != NodeKind::Directory && !path.starts_with('/') {
        return Err(Errno::ENOTDIR);
    }
    let mut pending = VecDeque::new();
    let mut must_be_directory = push_front_components(&mut pending, path);
    let mut links_followed = 0;
    while let Some(name) = pending.pop_front() {
        if tree.kind(current) != NodeKind::Directory {
            return Err(Errno::ENOTDIR);
        }
        let next = match name.as_str() {
            "." => current,
            ".." => tree.parent(current),
            _ => tree.lookup(current, &name)?,
        };
        let is_last = pending.is_empty();
        let follow = !is_last || must_be_directory || follow_last == FollowLast::Yes;
        if tree.kind(next) == NodeKind::Symlink && follow {
            links_followed += 1;
            if links_followed > SYMLINK_LIMIT {
                return Err(Errno::ELOOP);
            }
            let target = tree.read_link(next)?;
            if target.is_empty() {
                return Err(Errno::ENOENT);
            }
            if target.starts_with('/') {
                current = tree.root();
            }
            let ends_in_slash = push_front_components(&mut pending, &target);
            if is_last {
                must_be_directory |= ends_in_slash;
            }
            continue;
        }
        current = next;
    }
    if must_be_directory && tree.kind(current) != NodeKind::Directory {
        return Err(Errno::ENOTDIR);
    }
    Ok(current)
}

/// Resolves every component of `path` but the last, for calls that create or remove a name.
///
/// # Errors
/// As [`resolve`] for the directory part.
pub fn resolve_parent<T: Namespace>(
    tree: &T,
    start: T::Node,
    path: &str,
) -> Result<Parent<T::Node>, Errno> {
    check_lengths(path)?;
    let trimmed = path.trim_end_matches('/');
    let trailing_slash = trimmed.len() != path.len();
    if trimmed.is_empty() {
        // "/" or "//": the root itself, named as ".".
        return Ok(Parent {
            directory: tree.root(),
            name: String::from("."),
            trailing_slash,
        });
    }
    let (directory_part, name) = match trimmed.rfind('/') {
        Some(position) => (&trimmed[..=position], &trimmed[position + 1..]),
        None => ("", trimmed),
    };
    let directory = if directory_part.is_empty() {
        if tree.kind(start) != NodeKind::Directory {
            return Err(Errno::ENOTDIR);
        }
        start
    } else {
        resolve(tree, start, directory_part, FollowLast::Yes)?
    };
    Ok(Parent {
        directory,
        name: String::from(name),
        trailing_slash,
    })
}

/// Joins a working directory and a path lexically into an absolute path without `.`, `..` or
/// repeated slashes (what `getcwd` reports after `chdir` when no symbolic link was crossed).
#[must_use]
pub fn normalise(base: &str, path: &str) -> String {
    let mut parts: alloc::vec::Vec<&str> = alloc::vec::Vec::new();
    let source = if path.starts_with('/') {
        path.split('/').chain("".split('/'))
    } else {
        base.split('/').chain(path.split('/'))
    };
    for name in source {
        match name {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let mut joined = String::new();
    for name in parts {
        joined.push('/');
        joined.push_str(name);
    }
    if joined.is_empty() {
        joined.push('/');
    }
    joined
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;

    /// A fixed test tree: (name, parent, kind, link target).
    struct Tree(Vec<(&'static str, usize, NodeKind, &'static str)>);

    impl Namespace for Tree {
        type Node = usize;
        fn root(&self) -> usize {
            0
        }
        fn kind(&self, node: usize) -> NodeKind {
            self.0[node].2
        }
        fn parent(&self, directory: usize) -> usize {
            self.0[directory].1
        }
        fn lookup(&self, directory: usize, name: &str) -> Result<usize, Errno> {
            self.0
                .iter()
                .enumerate()
                .skip(1)
                .find(|(_, entry)| entry.1 == directory && entry.0 == name)
                .map(|(index, _)| index)
                .ok_or(Errno::ENOENT)
        }
        fn read_link(&self, node: usize) -> Result<String, Errno> {
            Ok(String::from(self.0[node].3))
        }
    }

    fn tree() -> Tree {
        use NodeKind::{Directory, Other, Symlink};
        Tree(vec![
            ("", 0, Directory, ""),               // 0 /
            ("tmp", 0, Directory, ""),            // 1 /tmp
            ("file", 1, Other, ""),               // 2 /tmp/file
            ("sub", 1, Directory, ""),            // 3 /tmp/sub
            ("to-sub", 1, Symlink, "sub"),        // 4 /tmp/to-sub -> sub
            ("to-file", 1, Symlink, "/tmp/file"), // 5 /tmp/to-file -> /tmp/file
            ("loop", 1, Symlink, "loop"),         // 6 /tmp/loop -> loop
            ("dangling", 1, Symlink, "nowhere"),  // 7
            ("up", 3, Symlink, "../.."),          // 8 /tmp/sub/up -> ../..
            ("to-sub-slash", 1, Symlink, "sub/"), // 9
        ])
    }

    #[test]
    fn absolute_relative_dot_and_dot_dot() {
        let tree = tree();
        assert_eq!(resolve(&tree, 3, "/tmp/file", FollowLast::Yes), Ok(2));
        assert_eq!(resolve(&tree, 1, "file", FollowLast::Yes), Ok(2));
        assert_eq!(resolve(&tree, 3, "../file", FollowLast::Yes), Ok(2));
        assert_eq!(resolve(&tree, 3, "./.././sub/.", FollowLast::Yes), Ok(3));
        assert_eq!(resolve(&tree, 0, "/../../tmp", FollowLast::Yes), Ok(1));
        assert_eq!(resolve(&tree, 0, "//tmp//sub//", FollowLast::Yes), Ok(3));
        assert_eq!(resolve(&tree, 0, "/", FollowLast::Yes), Ok(0));
    }

    #[test]
    fn errors() {
        let tree = tree();
        assert_eq!(resolve(&tree, 0, "", FollowLast::Yes), Err(Errno::ENOENT));
        assert_eq!(
            resolve(&tree, 0, "/tmp/missing", FollowLast::Yes),
            Err(Errno::ENOENT)
        );
        assert_eq!(
            resolve(&tree, 0, "/tmp/file/x", FollowLast::Yes),
            Err(Errno::ENOTDIR)
        );
        assert_eq!(
            resolve(&tree, 0, "/tmp/file/", FollowLast::Yes),
            Err(Errno::ENOTDIR)
        );
        assert_eq!(
            resolve(&tree, 0, "/tmp/loop", FollowLast::Yes),
            Err(Errno::ELOOP)
        );
        assert_eq!(resolve(&tree, 0, "/tmp/loop", FollowLast::No), Ok(6));
        assert_eq!(
            resolve(&tree, 0, "/tmp/dangling", FollowLast::Yes),
            Err(Errno::ENOENT)
        );
        let long_name = "x".repeat(NAME_MAX + 1);
        assert_eq!(
            resolve(&tree, 0, &long_name, FollowLast::Yes),
            Err(Errno::ENAMETOOLONG)
        );
        let long_path = "a/".repeat(PATH_MAX / 2);
        assert_eq!(
            resolve(&tree, 0, &long_path, FollowLast::Yes),
            Err(Errno::ENAMETOOLONG)
        );
        // A relative path from a start that is not a directory.
        assert_eq!(resolve(&tree, 2, "x", FollowLast::Yes), Err(Errno::ENOTDIR));
    }

    #[test]
    fn symbolic_links() {
        let tree = tree();
        assert_eq!(resolve(&tree, 0, "/tmp/to-sub", FollowLast::Yes), Ok(3));
        assert_eq!(resolve(&tree, 0, "/tmp/to-sub", FollowLast::No), Ok(4));
        // A trailing slash follows the last link even without FollowLast.
        assert_eq!(resolve(&tree, 0, "/tmp/to-sub/", FollowLast::No), Ok(3));
        assert_eq!(resolve(&tree, 0, "/tmp/to-file", FollowLast::Yes), Ok(2));
        assert_eq!(
            resolve(&tree, 0, "/tmp/to-file/", FollowLast::Yes),
            Err(Errno::ENOTDIR)
        );
        // A link's relative target is read in the link's own directory.
        assert_eq!(resolve(&tree, 0, "/tmp/sub/up", FollowLast::Yes), Ok(0));
        assert_eq!(
            resolve(&tree, 0, "/tmp/to-sub/up/tmp", FollowLast::Yes),
            Ok(1)
        );
        assert_eq!(
            resolve(&tree, 0, "/tmp/to-sub-slash", FollowLast::Yes),
            Ok(3)
        );
    }

    #[test]
    fn parents() {
        let tree = tree();
        let parent = resolve_parent(&tree, 0, "/tmp/sub/new/").unwrap();
        assert_eq!(parent.directory, 3);
        assert_eq!(parent.name, "new");
        assert!(parent.trailing_slash);
        let parent = resolve_parent(&tree, 3, "new").unwrap();
        assert_eq!((parent.directory, parent.name.as_str()), (3, "new"));
        let parent = resolve_parent(&tree, 0, "/tmp/to-sub/x").unwrap();
        assert_eq!(parent.directory, 3);
        assert_eq!(
            resolve_parent(&tree, 0, "/tmp/file/x").map(|parent| parent.directory),
            Err(Errno::ENOTDIR)
        );
        assert_eq!(resolve_parent(&tree, 0, "/").unwrap().name, ".");
    }

    #[test]
    fn normalising() {
        assert_eq!(normalise("/tmp", "a/../b/./c/"), "/tmp/b/c");
        assert_eq!(normalise("/tmp", "/x//y"), "/x/y");
        assert_eq!(normalise("/", ".."), "/");
        assert_eq!(normalise("/a/b", "../.."), "/");
    }
}
