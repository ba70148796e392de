//! An in-memory file system tree with owners and permission checks: what the shared root file
//! system's server will own (the checks that protect one process from another run here, in the
//! owner of the state, never only in a caller's LibOS).
//!
//! Nodes are numbered (the inode number); directories map names to numbers; a node goes when
//! its last link does. Every operation takes the caller's [`Credentials`] and answers as Linux
//! does: search permission on each directory crossed, write permission on a directory whose
//! names change, the sticky bit (`/tmp`) limiting removal to the owners, `EACCES`, `EEXIST`,
//! `ENOTEMPTY`, `EISDIR`, `ENOTDIR`, `ELOOP` for `O_NOFOLLOW` on a link.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{
    O_ACCMODE, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_PATH, O_RDONLY, O_RDWR, O_TRUNC,
    O_WRONLY,
};
use libposix_sys::mode::{S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, S_ISVTX};

use crate::path::{FollowLast, Namespace, NodeKind, resolve, resolve_parent};

/// An inode number.
pub type NodeNumber = u64;

/// The root directory's number (as on ext4 and tmpfs-like trees, 1 is left unused).
pub const ROOT: NodeNumber = 2;

/// Who is asking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// Effective user id (0 is root: every permission but execute without any x bit).
    pub user: u32,
    /// Effective group id.
    pub group: u32,
}

impl Credentials {
    /// The superuser.
    pub const ROOT: Self = Self { user: 0, group: 0 };
}

/// What a node holds.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Contents {
    Directory {
        entries: BTreeMap<String, NodeNumber>,
        parent: NodeNumber,
    },
    File(FileData),
    Symlink(String),
}

/// A file's bytes: borrowed from a read-only image (the initramfs) until first written.
#[derive(Clone, Debug, PartialEq, Eq)]
enum FileData {
    Borrowed(&'static [u8]),
    Owned(Vec<u8>),
}

impl FileData {
    fn bytes(&self) -> &[u8] {
        match self {
            Self::Borrowed(bytes) => bytes,
            Self::Owned(bytes) => bytes,
        }
    }

    fn owned(&mut self) -> &mut Vec<u8> {
        if let Self::Borrowed(bytes) = self {
            *self = Self::Owned(bytes.to_vec());
        }
        match self {
            Self::Owned(bytes) => bytes,
            Self::Borrowed(_) => unreachable!("just made owned"),
        }
    }
}

/// A node and its metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Node {
    mode: u32,
    user: u32,
    group: u32,
    links: u32,
    /// Open handles on it: a file whose last link goes stays until the last one closes.
    holds: u32,
    contents: Contents,
}

/// What `stat` reports of a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status {
    /// Inode number.
    pub number: NodeNumber,
    /// Type and permission bits.
    pub mode: u32,
    /// Hard links (a directory: 2 plus its subdirectories).
    pub links: u32,
    /// Owner.
    pub user: u32,
    /// Group.
    pub group: u32,
    /// Bytes (a symlink: its target's length; a directory: 4096).
    pub size: u64,
    /// 512-byte blocks allocated.
    pub blocks: u64,
}

/// The access an operation needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Read (`r`).
    Read,
    /// Write (`w`).
    Write,
    /// Execute or, on a directory, search (`x`).
    Execute,
}

/// A tree of nodes.
#[derive(Clone, Debug)]
pub struct MemoryTree {
    nodes: BTreeMap<NodeNumber, Node>,
    next_number: NodeNumber,
}

impl Default for MemoryTree {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryTree {
    /// A tree holding only `/` (mode 0755, owned by root).
    #[must_use]
    pub fn new() -> Self {
        let mut nodes = BTreeMap::new();
        nodes.insert(
            ROOT,
            Node {
                mode: S_IFDIR | 0o755,
                user: 0,
                group: 0,
                links: 2,
                holds: 0,
                contents: Contents::Directory {
                    entries: BTreeMap::new(),
                    parent: ROOT,
                },
            },
        );
        Self {
            nodes,
            next_number: ROOT + 1,
        }
    }

    fn node(&self, number: NodeNumber) -> Result<&Node, Errno> {
        self.nodes.get(&number).ok_or(Errno::ENOENT)
    }

    fn node_mut(&mut self, number: NodeNumber) -> Result<&mut Node, Errno> {
        self.nodes.get_mut(&number).ok_or(Errno::ENOENT)
    }

    /// Whether `credentials` may access `number` as `access` (the permission bits of the owner,
    /// the group or others; root may read and write anything and execute what anyone may).
    #[must_use]
    pub fn permits(&self, credentials: Credentials, number: NodeNumber, access: Access) -> bool {
        let Ok(node) = self.node(number) else {
            return false;
        };
        let bit = match access {
            Access::Read => 4,
            Access::Write => 2,
            Access::Execute => 1,
        };
        if credentials.user == 0 {
            let is_directory = node.mode & S_IFMT == S_IFDIR;
            return access != Access::Execute || is_directory || node.mode & 0o111 != 0;
        }
        let shift = if credentials.user == node.user {
            6
        } else if credentials.group == node.group {
            3
        } else {
            0
        };
        (node.mode >> shift) & bit != 0
    }

    fn require(
        &self,
        credentials: Credentials,
        number: NodeNumber,
        access: Access,
    ) -> Result<(), Errno> {
        if self.permits(credentials, number, access) {
            Ok(())
        } else {
            Err(Errno::EACCES)
        }
    }

    /// `stat` of a node.
    ///
    /// # Errors
    /// `ENOENT` for a number not in the tree.
    pub fn status(&self, number: NodeNumber) -> Result<Status, Errno> {
        let node = self.node(number)?;
        let size = match &node.contents {
            Contents::Directory { .. } => 4096,
            Contents::File(data) => data.bytes().len() as u64,
            Contents::Symlink(target) => target.len() as u64,
        };
        Ok(Status {
            number,
            mode: node.mode,
            links: node.links,
            user: node.user,
            group: node.group,
            size,
            blocks: size.div_ceil(4096) * 8,
        })
    }

    /// Resolves `path` from `start` for `credentials` (search permission on every directory
    /// crossed).
    ///
    /// # Errors
    /// As [`resolve`], and `EACCES`.
    pub fn resolve(
        &self,
        credentials: Credentials,
        start: NodeNumber,
        path: &str,
        follow_last: FollowLast,
    ) -> Result<NodeNumber, Errno> {
        resolve(&self.view(credentials), start, path, follow_last)
    }

    fn view(&self, credentials: Credentials) -> View<'_> {
        View {
            tree: self,
            credentials,
        }
    }

    fn insert_node(
        &mut self,
        directory: NodeNumber,
        name: &str,
        node: Node,
    ) -> Result<NodeNumber, Errno> {
        let number = self.next_number;
        let is_directory = matches!(node.contents, Contents::Directory { .. });
        let Contents::Directory { entries, .. } = &mut self.node_mut(directory)?.contents else {
            return Err(Errno::ENOTDIR);
        };
        if entries.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        entries.insert(String::from(name), number);
        if is_directory {
            self.node_mut(directory)?.links += 1;
        }
        self.nodes.insert(number, node);
        self.next_number += 1;
        Ok(number)
    }

    /// Finds where a new name goes: the directory (writable and searchable by `credentials`) and
    /// the name, refusing `.`, `..` and existing names.
    fn place_for_new_name(
        &self,
        credentials: Credentials,
        start: NodeNumber,
        path: &str,
    ) -> Result<(NodeNumber, String), Errno> {
        let parent = resolve_parent(&self.view(credentials), start, path)?;
        if parent.name == "." || parent.name == ".." {
            return Err(Errno::EEXIST);
        }
        if self
            .view(credentials)
            .lookup(parent.directory, &parent.name)
            .is_ok()
        {
            return Err(Errno::EEXIST);
        }
        self.require(credentials, parent.directory, Access::Write)?;
        Ok((parent.directory, parent.name))
    }

    /// `openat` semantics for the tree: resolves, creates (`O_CREAT`, `O_EXCL`, with `mode` less
    /// `umask`), checks the access the flags ask for, truncates (`O_TRUNC`). Returns the node.
    ///
    /// # Errors
    /// `ENOENT`, `EEXIST`, `EACCES`, `EISDIR`, `ENOTDIR`, `ELOOP`, `ENAMETOOLONG`.
    pub fn open(
        &mut self,
        credentials: Credentials,
        start: NodeNumber,
        path: &str,
        flags: i32,
        mode: u32,
    ) -> Result<NodeNumber, Errno> {
        let follow = if flags & O_NOFOLLOW != 0 {
            FollowLast::No
        } else {
            FollowLast::Yes
        };
        let number = match self.resolve(credentials, start, path, follow) {
            Ok(_) if flags & (O_CREAT | O_EXCL) == O_CREAT | O_EXCL => return Err(Errno::EEXIST),
            Ok(number) => number,
            Err(Errno::ENOENT) if flags & O_CREAT != 0 => {
                if path.ends_with('/') {
                    return Err(Errno::EISDIR);
                }
                let (directory, name) = self.place_for_new_name(credentials, start, path)?;
                return self.insert_node(
                    directory,
                    &name,
                    Node {
                        mode: S_IFREG | (mode & 0o7777),
                        user: credentials.user,
                        group: credentials.group,
                        links: 1,
                        holds: 0,
                        contents: Contents::File(FileData::Owned(Vec::new())),
                    },
                );
            }
            Err(error) => return Err(error),
        };
        let kind = self.node(number)?.mode & S_IFMT;
        if flags & O_PATH != 0 {
            // A path-only handle (what `stat` uses): no read or write, no permission on the node.
            if flags & O_DIRECTORY != 0 && kind != S_IFDIR {
                return Err(Errno::ENOTDIR);
            }
            return Ok(number);
        }
        if kind == S_IFLNK {
            return Err(Errno::ELOOP);
        }
        if flags & O_DIRECTORY != 0 && kind != S_IFDIR {
            return Err(Errno::ENOTDIR);
        }
        let access_mode = flags & O_ACCMODE;
        if kind == S_IFDIR && (access_mode != O_RDONLY || flags & O_CREAT != 0) {
            return Err(Errno::EISDIR);
        }
        if matches!(access_mode, O_RDONLY | O_RDWR) {
            self.require(credentials, number, Access::Read)?;
        }
        if matches!(access_mode, O_WRONLY | O_RDWR) || flags & O_TRUNC != 0 {
            self.require(credentials, number, Access::Write)?;
        }
        if flags & O_TRUNC != 0
            && matches!(access_mode, O_WRONLY | O_RDWR)
            && let Contents::File(data) = &mut self.node_mut(number)?.contents
        {
            *data = FileData::Owned(Vec::new());
        }
        Ok(number)
    }

    /// Reads from a file at `offset` (0 bytes at or past its end).
    ///
    /// # Errors
    /// `EISDIR` for a directory, `EINVAL` for a symlink.
    pub fn read_at(
        &self,
        number: NodeNumber,
        offset: u64,
        buffer: &mut [u8],
    ) -> Result<usize, Errno> {
        match &self.node(number)?.contents {
            Contents::File(data) => {
                let bytes = data.bytes();
                let start = usize::try_from(offset)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                let count = buffer.len().min(bytes.len() - start);
                buffer[..count].copy_from_slice(&bytes[start..start + count]);
                Ok(count)
            }
            Contents::Directory { .. } => Err(Errno::EISDIR),
            Contents::Symlink(_) => Err(Errno::EINVAL),
        }
    }

    /// Writes into a file at `offset`, filling any gap with zeros.
    ///
    /// # Errors
    /// `EISDIR`, `EINVAL`, `EFBIG` past `limit` bytes.
    pub fn write_at(
        &mut self,
        number: NodeNumber,
        offset: u64,
        data: &[u8],
        limit: u64,
    ) -> Result<usize, Errno> {
        let end = offset
            .checked_add(data.len() as u64)
            .filter(|&end| end <= limit)
            .ok_or(Errno::EFBIG)?;
        match &mut self.node_mut(number)?.contents {
            Contents::File(file) => {
                let bytes = file.owned();
                let end = usize::try_from(end).map_err(|_| Errno::EFBIG)?;
                if bytes.len() < end {
                    bytes.resize(end, 0);
                }
                bytes[end - data.len()..end].copy_from_slice(data);
                Ok(data.len())
            }
            Contents::Directory { .. } => Err(Errno::EISDIR),
            Contents::Symlink(_) => Err(Errno::EINVAL),
        }
    }

    /// `mkdirat` semantics.
    ///
    /// # Errors
    /// `EEXIST`, `ENOENT`, `ENOTDIR`, `EACCES`.
    pub fn make_directory(
        &mut self,
        credentials: Credentials,
        start: NodeNumber,
        path: &str,
        mode: u32,
    ) -> Result<NodeNumber, Errno> {
        let (directory, name) = self.place_for_new_name(credentials, start, path)?;
        self.insert_node(
            directory,
            &name,
            Node {
                mode: S_IFDIR | (mode & 0o7777),
                user: credentials.user,
                group: credentials.group,
                links: 2,
                holds: 0,
                contents: Contents::Directory {
                    entries: BTreeMap::new(),
                    parent: directory,
                },
            },
        )
    }

    /// Adds a file whose bytes are borrowed from a read-only image until written (for
    /// populating the tree from the initramfs), owned by root with `permissions`. Missing parent
    /// directories are not made: add them first.
    ///
    /// # Errors
    /// As [`Self::make_directory`].
    pub fn add_image_file(
        &mut self,
        path: &str,
        bytes: &'static [u8],
        permissions: u32,
    ) -> Result<NodeNumber, Errno> {
        let (directory, name) = self.place_for_new_name(Credentials::ROOT, ROOT, path)?;
        self.insert_node(
            directory,
            &name,
            Node {
                mode: S_IFREG | (permissions & 0o7777),
                user: 0,
                group: 0,
                links: 1,
                holds: 0,
                contents: Contents::File(FileData::Borrowed(bytes)),
            },
        )
    }

    /// `symlinkat` semantics.
    ///
    /// # Errors
    /// `EEXIST`, `ENOENT`, `EACCES`, `ENOENT` for an empty target.
    pub fn make_symlink(
        &mut self,
        credentials: Credentials,
        target: &str,
        start: NodeNumber,
        path: &str,
    ) -> Result<NodeNumber, Errno> {
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        let (directory, name) = self.place_for_new_name(credentials, start, path)?;
        self.insert_node(
            directory,
            &name,
            Node {
                mode: S_IFLNK | 0o777,
                user: credentials.user,
                group: credentials.group,
                links: 1,
                holds: 0,
                contents: Contents::Symlink(String::from(target)),
            },
        )
    }

    /// `unlinkat` semantics: with `directory_only`, `rmdir` (`AT_REMOVEDIR`).
    ///
    /// # Errors
    /// `ENOENT`, `EACCES`/`EPERM` (sticky directory), `EISDIR` (unlink of a directory),
    /// `ENOTDIR`, `ENOTEMPTY`, `EINVAL` (`rmdir` of `.`), `EBUSY` (the root).
    pub fn remove(
        &mut self,
        credentials: Credentials,
        start: NodeNumber,
        path: &str,
        directory_only: bool,
    ) -> Result<(), Errno> {
        let parent = resolve_parent(&self.view(credentials), start, path)?;
        if path.bytes().all(|byte| byte == b'/') {
            return Err(Errno::EBUSY);
        }
        match parent.name.as_str() {
            "." if directory_only => return Err(Errno::EINVAL),
            ".." if directory_only => return Err(Errno::ENOTEMPTY),
            "." | ".." => return Err(Errno::EISDIR),
            _ => {}
        }
        let number = self
            .view(credentials)
            .lookup(parent.directory, &parent.name)?;
        let node = self.node(number)?;
        let is_directory = node.mode & S_IFMT == S_IFDIR;
        if directory_only && !is_directory {
            return Err(Errno::ENOTDIR);
        }
        if !directory_only && is_directory {
            return Err(Errno::EISDIR);
        }
        if !directory_only && parent.trailing_slash {
            return Err(Errno::ENOTDIR);
        }
        if number == ROOT {
            return Err(Errno::EBUSY);
        }
        if let Contents::Directory { entries, .. } = &node.contents
            && !entries.is_empty()
        {
            return Err(Errno::ENOTEMPTY);
        }
        self.require(credentials, parent.directory, Access::Write)?;
        let directory = self.node(parent.directory)?;
        if directory.mode & S_ISVTX != 0
            && credentials.user != 0
            && credentials.user != directory.user
            && credentials.user != node.user
        {
            return Err(Errno::EPERM);
        }
        if let Contents::Directory { entries, .. } = &mut self.node_mut(parent.directory)?.contents
        {
            entries.remove(&parent.name);
        }
        if is_directory {
            self.node_mut(parent.directory)?.links -= 1;
            self.nodes.remove(&number);
        } else {
            let node = self.node_mut(number)?;
            node.links -= 1;
            if node.links == 0 && node.holds == 0 {
                self.nodes.remove(&number);
            }
        }
        Ok(())
    }

    /// `faccessat`: whether `credentials` may access what `path` names as `mode` (`R_OK` 4,
    /// `W_OK` 2, `X_OK` 1; 0 only checks that it exists).
    ///
    /// # Errors
    /// `EACCES`, `EINVAL` (unknown mode bits), resolution errors.
    pub fn access(
        &self,
        credentials: Credentials,
        start: NodeNumber,
        path: &str,
        mode: u32,
        follow_last: FollowLast,
    ) -> Result<(), Errno> {
        if mode & !0o7 != 0 {
            return Err(Errno::EINVAL);
        }
        let number = self.resolve(credentials, start, path, follow_last)?;
        for (bit, access) in [(4, Access::Read), (2, Access::Write), (1, Access::Execute)] {
            if mode & bit != 0 {
                self.require(credentials, number, access)?;
            }
        }
        Ok(())
    }

    /// `chmod`: only the owner or root may change the permission bits.
    ///
    /// # Errors
    /// `EPERM`, `ENOENT`.
    pub fn change_mode(
        &mut self,
        credentials: Credentials,
        number: NodeNumber,
        permissions: u32,
    ) -> Result<(), Errno> {
        let node = self.node_mut(number)?;
        if credentials.user != 0 && credentials.user != node.user {
            return Err(Errno::EPERM);
        }
        node.mode = (node.mode & S_IFMT) | (permissions & 0o7777);
        Ok(())
    }

    /// `linkat`: a new name for the existing node `existing` (not a directory).
    ///
    /// # Errors
    /// `EPERM` (a directory), `EEXIST`, `ENOENT`, `EACCES`, `EMLINK`.
    pub fn link(
        &mut self,
        credentials: Credentials,
        existing: NodeNumber,
        start: NodeNumber,
        path: &str,
    ) -> Result<(), Errno> {
        if self.node(existing)?.mode & S_IFMT == S_IFDIR {
            return Err(Errno::EPERM);
        }
        let (directory, name) = self.place_for_new_name(credentials, start, path)?;
        if self.node(existing)?.links == u32::MAX {
            return Err(Errno::EMLINK);
        }
        let Contents::Directory { entries, .. } = &mut self.node_mut(directory)?.contents else {
            return Err(Errno::ENOTDIR);
        };
        entries.insert(name, existing);
        self.node_mut(existing)?.links += 1;
        Ok(())
    }

    /// `ftruncate`: sets a file's size, cutting or zero-filling.
    ///
    /// # Errors
    /// `EISDIR`, `EINVAL` (not a regular file), `EFBIG` past `limit`.
    pub fn truncate(&mut self, number: NodeNumber, length: u64, limit: u64) -> Result<(), Errno> {
        if length > limit {
            return Err(Errno::EFBIG);
        }
        match &mut self.node_mut(number)?.contents {
            Contents::File(file) => {
                let length = usize::try_from(length).map_err(|_| Errno::EFBIG)?;
                file.owned().resize(length, 0);
                Ok(())
            }
            Contents::Directory { .. } => Err(Errno::EISDIR),
            Contents::Symlink(_) => Err(Errno::EINVAL),
        }
    }

    /// `readlinkat`: the target of the symbolic link `path` names (not followed).
    ///
    /// # Errors
    /// `EINVAL` when it is not a symbolic link; resolution errors.
    pub fn read_link(
        &self,
        credentials: Credentials,
        start: NodeNumber,
        path: &str,
    ) -> Result<String, Errno> {
        let number = self.resolve(credentials, start, path, FollowLast::No)?;
        match &self.node(number)?.contents {
            Contents::Symlink(target) => Ok(target.clone()),
            _ => Err(Errno::EINVAL),
        }
    }

    /// Counts an open handle on `number` (a server calls this at open).
    ///
    /// # Errors
    /// `ENOENT`.
    pub fn hold(&mut self, number: NodeNumber) -> Result<(), Errno> {
        let node = self.node_mut(number)?;
        node.holds = node.holds.saturating_add(1);
        Ok(())
    }

    /// Drops an open handle on `number`; a file with no links left goes with its last handle.
    pub fn release(&mut self, number: NodeNumber) {
        if let Ok(node) = self.node_mut(number) {
            node.holds = node.holds.saturating_sub(1);
            let is_directory = matches!(node.contents, Contents::Directory { .. });
            if node.holds == 0 && node.links == 0 && !is_directory {
                self.nodes.remove(&number);
            }
        }
    }

    /// The entries of a directory, with `.` and `..` first: (name, number, mode).
    ///
    /// # Errors
    /// `ENOTDIR`, `EACCES` (no read permission).
    pub fn entries(
        &self,
        credentials: Credentials,
        number: NodeNumber,
    ) -> Result<Vec<(String, NodeNumber, u32)>, Errno> {
        let Contents::Directory { entries, parent } = &self.node(number)?.contents else {
            return Err(Errno::ENOTDIR);
        };
        self.require(credentials, number, Access::Read)?;
        let mut listing = Vec::with_capacity(entries.len() + 2);
        listing.push((String::from("."), number, S_IFDIR));
        listing.push((String::from(".."), *parent, S_IFDIR));
        for (name, &child) in entries {
            listing.push((name.clone(), child, self.node(child)?.mode & S_IFMT));
        }
        Ok(listing)
    }

    /// Changes a node's owner and permission bits (for populating the tree; `chmod`/`chown`
    /// with their checks come later).
    ///
    /// # Errors
    /// `ENOENT`.
    pub fn set_owner_and_mode(
        &mut self,
        number: NodeNumber,
        user: u32,
        group: u32,
        permissions: u32,
    ) -> Result<(), Errno> {
        let node = self.node_mut(number)?;
        node.user = user;
        node.group = group;
        node.mode = (node.mode & S_IFMT) | (permissions & 0o7777);
        Ok(())
    }
}

/// The tree as seen by one caller: lookups need search permission.
struct View<'a> {
    tree: &'a MemoryTree,
    credentials: Credentials,
}

impl Namespace for View<'_> {
    type Node = NodeNumber;

    fn root(&self) -> NodeNumber {
        ROOT
    }

    fn kind(&self, node: NodeNumber) -> NodeKind {
        match self.tree.node(node).map(|node| &node.contents) {
            Ok(Contents::Directory { .. }) => NodeKind::Directory,
            Ok(Contents::Symlink(_)) => NodeKind::Symlink,
            _ => NodeKind::Other,
        }
    }

    fn parent(&self, directory: NodeNumber) -> NodeNumber {
        match self.tree.node(directory).map(|node| &node.contents) {
            Ok(Contents::Directory { parent, .. }) => *parent,
            _ => ROOT,
        }
    }

    fn lookup(&self, directory: NodeNumber, name: &str) -> Result<NodeNumber, Errno> {
        let Contents::Directory { entries, .. } = &self.tree.node(directory)?.contents else {
            return Err(Errno::ENOTDIR);
        };
        self.tree
            .require(self.credentials, directory, Access::Execute)?;
        entries.get(name).copied().ok_or(Errno::ENOENT)
    }

    fn read_link(&self, node: NodeNumber) -> Result<String, Errno> {
        match &self.tree.node(node)?.contents {
            Contents::Symlink(target) => Ok(target.clone()),
            _ => Err(Errno::EINVAL),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: Credentials = Credentials {
        user: 1000,
        group: 1000,
    };
    const BOB: Credentials = Credentials {
        user: 1001,
        group: 1001,
    };
    const LIMIT: u64 = 1 << 30;

    fn tree_with_tmp() -> MemoryTree {
        let mut tree = MemoryTree::new();
        let tmp = tree
            .make_directory(Credentials::ROOT, ROOT, "/tmp", 0o777)
            .unwrap();
        tree.set_owner_and_mode(tmp, 0, 0, 0o1777).unwrap();
        tree
    }

    #[test]
    fn create_write_read_and_stat() {
        let mut tree = tree_with_tmp();
        let file = tree
            .open(ALICE, ROOT, "/tmp/a", O_CREAT | O_WRONLY, 0o644)
            .unwrap();
        assert_eq!(tree.write_at(file, 0, b"hello", LIMIT), Ok(5));
        assert_eq!(tree.write_at(file, 7, b"!", LIMIT), Ok(1));
        let mut buffer = [9u8; 16];
        assert_eq!(tree.read_at(file, 0, &mut buffer), Ok(8));
        assert_eq!(&buffer[..8], b"hello\0\0!");
        assert_eq!(tree.read_at(file, 100, &mut buffer), Ok(0));
        let status = tree.status(file).unwrap();
        assert_eq!(
            (
                status.mode,
                status.size,
                status.links,
                status.user,
                status.blocks
            ),
            (S_IFREG | 0o644, 8, 1, 1000, 8)
        );
        assert_eq!(
            tree.open(ALICE, ROOT, "/tmp/a", O_CREAT | O_EXCL | O_WRONLY, 0o644),
            Err(Errno::EEXIST)
        );
        assert_eq!(
            tree.open(ALICE, ROOT, "/tmp/a", O_TRUNC | O_WRONLY, 0),
            Ok(file)
        );
        assert_eq!(tree.status(file).unwrap().size, 0);
    }

    #[test]
    fn permissions_are_enforced_for_other_users() {
        let mut tree = tree_with_tmp();
        let file = tree
            .open(ALICE, ROOT, "/tmp/secret", O_CREAT | O_WRONLY, 0o600)
            .unwrap();
        assert_eq!(
            tree.open(BOB, ROOT, "/tmp/secret", O_RDONLY, 0),
            Err(Errno::EACCES)
        );
        assert_eq!(
            tree.open(BOB, ROOT, "/tmp/secret", O_WRONLY, 0),
            Err(Errno::EACCES)
        );
        assert_eq!(tree.open(ALICE, ROOT, "/tmp/secret", O_RDWR, 0), Ok(file));
        assert_eq!(
            tree.open(Credentials::ROOT, ROOT, "/tmp/secret", O_RDWR, 0),
            Ok(file)
        );
        // The sticky /tmp: Bob may not remove Alice's file, Alice may.
        assert_eq!(
            tree.remove(BOB, ROOT, "/tmp/secret", false),
            Err(Errno::EPERM)
        );
        assert_eq!(tree.remove(ALICE, ROOT, "/tmp/secret", false), Ok(()));
        // A directory Bob cannot search hides its names.
        let private = tree
            .make_directory(ALICE, ROOT, "/tmp/private", 0o700)
            .unwrap();
        tree.open(ALICE, private, "inner", O_CREAT | O_WRONLY, 0o666)
            .unwrap();
        assert_eq!(
            tree.open(BOB, ROOT, "/tmp/private/inner", O_RDONLY, 0),
            Err(Errno::EACCES)
        );
        // Nobody but root writes in /.
        assert_eq!(
            tree.open(ALICE, ROOT, "/new", O_CREAT | O_WRONLY, 0o644),
            Err(Errno::EACCES)
        );
    }

    #[test]
    fn directories_and_removal() {
        let mut tree = tree_with_tmp();
        let directory = tree.make_directory(ALICE, ROOT, "/tmp/d", 0o755).unwrap();
        assert_eq!(tree.status(directory).unwrap().links, 2);
        tree.make_directory(ALICE, ROOT, "/tmp/d/e", 0o755).unwrap();
        assert_eq!(tree.status(directory).unwrap().links, 3);
        assert_eq!(
            tree.make_directory(ALICE, ROOT, "/tmp/d/e", 0o755),
            Err(Errno::EEXIST)
        );
        assert_eq!(
            tree.remove(ALICE, ROOT, "/tmp/d", true),
            Err(Errno::ENOTEMPTY)
        );
        assert_eq!(
            tree.remove(ALICE, ROOT, "/tmp/d", false),
            Err(Errno::EISDIR)
        );
        assert_eq!(
            tree.remove(ALICE, ROOT, "/tmp/d/e/.", true),
            Err(Errno::EINVAL)
        );
        assert_eq!(tree.remove(ALICE, ROOT, "/tmp/d/e", true), Ok(()));
        assert_eq!(tree.status(directory).unwrap().links, 2);
        let names: Vec<String> = tree
            .entries(ALICE, directory)
            .unwrap()
            .into_iter()
            .map(|(name, _, _)| name)
            .collect();
        assert_eq!(names, [".", ".."]);
        tree.open(ALICE, ROOT, "/tmp/f", O_CREAT | O_WRONLY, 0o644)
            .unwrap();
        assert_eq!(
            tree.remove(ALICE, ROOT, "/tmp/f", true),
            Err(Errno::ENOTDIR)
        );
        assert_eq!(
            tree.remove(ALICE, ROOT, "/tmp/f/", false),
            Err(Errno::ENOTDIR)
        );
        assert_eq!(
            tree.remove(Credentials::ROOT, ROOT, "/", true),
            Err(Errno::EBUSY)
        );
        assert_eq!(
            tree.open(ALICE, ROOT, "/tmp/d", O_WRONLY, 0),
            Err(Errno::EISDIR)
        );
        assert_eq!(
            tree.open(ALICE, ROOT, "/tmp/f", O_RDONLY | O_DIRECTORY, 0),
            Err(Errno::ENOTDIR)
        );
    }

    #[test]
    fn modes_and_links() {
        let mut tree = tree_with_tmp();
        let file = tree
            .open(ALICE, ROOT, "/tmp/shared", O_CREAT | O_WRONLY, 0o644)
            .unwrap();
        assert_eq!(tree.change_mode(BOB, file, 0o666), Err(Errno::EPERM));
        tree.change_mode(ALICE, file, 0o600).unwrap();
        assert_eq!(tree.status(file).unwrap().mode, S_IFREG | 0o600);
        assert_eq!(
            tree.access(BOB, ROOT, "/tmp/shared", 4, FollowLast::Yes),
            Err(Errno::EACCES)
        );
        assert_eq!(
            tree.access(ALICE, ROOT, "/tmp/shared", 6, FollowLast::Yes),
            Ok(())
        );
        assert_eq!(
            tree.access(ALICE, ROOT, "/tmp/shared", 1, FollowLast::Yes),
            Err(Errno::EACCES)
        );
        assert_eq!(
            tree.access(BOB, ROOT, "/tmp/shared", 0, FollowLast::Yes),
            Ok(())
        );
        assert_eq!(
            tree.access(BOB, ROOT, "/tmp/shared", 8, FollowLast::Yes),
            Err(Errno::EINVAL)
        );
        tree.link(ALICE, file, ROOT, "/tmp/second-name").unwrap();
        assert_eq!(tree.status(file).unwrap().links, 2);
        assert_eq!(
            tree.link(ALICE, file, ROOT, "/tmp/shared"),
            Err(Errno::EEXIST)
        );
        tree.remove(ALICE, ROOT, "/tmp/shared", false).unwrap();
        assert_eq!(
            tree.resolve(ALICE, ROOT, "/tmp/second-name", FollowLast::Yes),
            Ok(file)
        );
        assert_eq!(tree.status(file).unwrap().links, 1);
        let tmp = tree.resolve(ALICE, ROOT, "/tmp", FollowLast::Yes).unwrap();
        assert_eq!(tree.link(ALICE, tmp, ROOT, "/tmp/d"), Err(Errno::EPERM));
    }

    #[test]
    fn an_unlinked_file_lives_while_held() {
        let mut tree = tree_with_tmp();
        let file = tree
            .open(ALICE, ROOT, "/tmp/held", O_CREAT | O_WRONLY, 0o644)
            .unwrap();
        tree.hold(file).unwrap();
        tree.write_at(file, 0, b"still here", LIMIT).unwrap();
        tree.remove(ALICE, ROOT, "/tmp/held", false).unwrap();
        assert_eq!(
            tree.open(ALICE, ROOT, "/tmp/held", O_RDONLY, 0),
            Err(Errno::ENOENT)
        );
        let mut buffer = [0u8; 10];
        assert_eq!(tree.read_at(file, 0, &mut buffer), Ok(10));
        assert_eq!(tree.status(file).unwrap().links, 0);
        tree.release(file);
        assert_eq!(tree.status(file), Err(Errno::ENOENT));
    }

    #[test]
    fn image_files_are_copied_on_first_write() {
        let mut tree = MemoryTree::new();
        tree.make_directory(Credentials::ROOT, ROOT, "/bin", 0o755)
            .unwrap();
        let file = tree.add_image_file("/bin/tool", b"\x7fELF", 0o755).unwrap();
        assert_eq!(tree.status(file).unwrap().mode, S_IFREG | 0o755);
        assert_eq!(
            tree.open(ALICE, ROOT, "/bin/tool", O_WRONLY, 0),
            Err(Errno::EACCES)
        );
        assert_eq!(tree.write_at(file, 1, b"X", LIMIT), Ok(1));
        let mut buffer = [0u8; 4];
        assert_eq!(tree.read_at(file, 0, &mut buffer), Ok(4));
        assert_eq!(&buffer, b"\x7fXLF");
    }

    #[test]
    fn symbolic_links() {
        let mut tree = tree_with_tmp();
        let file = tree
            .open(ALICE, ROOT, "/tmp/target", O_CREAT | O_WRONLY, 0o644)
            .unwrap();
        let link = tree
            .make_symlink(ALICE, "target", ROOT, "/tmp/link")
            .unwrap();
        assert_eq!(tree.open(ALICE, ROOT, "/tmp/link", O_RDONLY, 0), Ok(file));
        assert_eq!(
            tree.open(ALICE, ROOT, "/tmp/link", O_RDONLY | O_NOFOLLOW, 0),
            Err(Errno::ELOOP)
        );
        assert_eq!(
            tree.resolve(ALICE, ROOT, "/tmp/link", FollowLast::No),
            Ok(link)
        );
        assert_eq!(tree.status(link).unwrap().size, 6);
        assert_eq!(
            tree.open(BOB, ROOT, "/tmp/link", O_PATH | O_NOFOLLOW, 0),
            Ok(link)
        );
        tree.make_symlink(ALICE, "/tmp/loop", ROOT, "/tmp/loop")
            .unwrap();
        assert_eq!(
            tree.open(ALICE, ROOT, "/tmp/loop", O_RDONLY, 0),
            Err(Errno::ELOOP)
        );
    }
}
