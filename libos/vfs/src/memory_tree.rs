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
use libposix_sys::mode::{S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, S_ISVTX};

use crate::path::{FollowLast, Namespace, NodeKind, resolve, resolve_parent};
use crate::storage::FileStorage;

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
enum Contents<S> {
    Directory {
        entries: BTreeMap<String, NodeNumber>,
        parent: NodeNumber,
    },
    File(FileData<S>),
    Symlink(String),
    /// An AF_UNIX socket's name (`bind` to a path): no data; the socket server knows who
    /// listens on it.
    Socket,
}

/// A file's bytes: borrowed from a read-only image (the initramfs) until first written.
#[derive(Clone, Debug, PartialEq, Eq)]
enum FileData<S> {
    Borrowed(&'static [u8]),
    Owned(S),
}

impl<S: FileStorage> FileData<S> {
    fn length(&self) -> u64 {
        match self {
            Self::Borrowed(bytes) => bytes.len() as u64,
            Self::Owned(storage) => storage.length(),
        }
    }

    fn read_at(&self, offset: u64, buffer: &mut [u8]) -> usize {
        match self {
            Self::Borrowed(bytes) => {
                let start = usize::try_from(offset)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                let count = buffer.len().min(bytes.len() - start);
                buffer[..count].copy_from_slice(&bytes[start..start + count]);
                count
            }
            Self::Owned(storage) => storage.read_at(offset, buffer),
        }
    }

    /// The storage, copying an image file's bytes into storage of its own first.
    fn owned(&mut self) -> Result<&mut S, Errno> {
        if let Self::Borrowed(bytes) = self {
            let mut storage = S::empty()?;
            storage.write_at(0, bytes)?;
            *self = Self::Owned(storage);
        }
        match self {
            Self::Owned(storage) => Ok(storage),
            Self::Borrowed(_) => Err(Errno::EIO),
        }
    }
}

/// A point in time on `CLOCK_REALTIME`: seconds and nanoseconds since the epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Time {
    /// Whole seconds.
    pub seconds: i64,
    /// Nanoseconds (below 1,000,000,000).
    pub nanoseconds: u32,
}

impl Time {
    /// The time `nanoseconds` after the epoch.
    #[must_use]
    pub const fn from_nanoseconds(nanoseconds: u64) -> Self {
        Self {
            seconds: (nanoseconds / 1_000_000_000) as i64,
            nanoseconds: (nanoseconds % 1_000_000_000) as u32,
        }
    }
}

/// What `utimensat` asks for one of a node's times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeChange {
    /// The tree's clock (`UTIME_NOW`).
    Now,
    /// Leave it (`UTIME_OMIT`).
    Omit,
    /// This time.
    To(Time),
}

/// A node's three times.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Times {
    accessed: Time,
    modified: Time,
    changed: Time,
}

/// A node and its metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Node<S> {
    times: Times,
    mode: u32,
    user: u32,
    group: u32,
    links: u32,
    /// Open handles on it: a file whose last link goes stays until the last one closes.
    holds: u32,
    /// The file system it belongs to: 0 the tree's own, else a mount's ([`MemoryTree::mount`]).
    file_system: u32,
    contents: Contents<S>,
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
    /// Last access (`st_atime`).
    pub accessed: Time,
    /// Last change of the contents (`st_mtime`).
    pub modified: Time,
    /// Last change of the contents or metadata (`st_ctime`).
    pub changed: Time,
    /// The file system it is on (0: the tree's own; else a mount's number).
    pub file_system: u32,
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

/// A file system mounted in the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Mount {
    /// Its root directory.
    root: NodeNumber,
    /// The directory it hides, and where that was (its parent and name).
    covered: NodeNumber,
    parent: NodeNumber,
    name: String,
    /// The mount point's name for the table (`/proc/mounts`).
    shown: String,
}

/// A tree of nodes.
#[derive(Clone, Debug)]
pub struct MemoryTree<S = Vec<u8>> {
    nodes: BTreeMap<NodeNumber, Node<S>>,
    /// The mounted file systems by number: where each is, in mount order.
    mounts: BTreeMap<u32, Mount>,
    next_mount: u32,
    /// The time operations stamp (the server sets it before each call).
    now: Time,
    next_number: NodeNumber,
}

impl<S: FileStorage> Default for MemoryTree<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: FileStorage> MemoryTree<S> {
    /// A tree holding only `/` (mode 0755, owned by root).
    #[must_use]
    pub fn new() -> Self {
        let mut nodes = BTreeMap::new();
        nodes.insert(
            ROOT,
            Node {
                times: Times::default(),
                mode: S_IFDIR | 0o755,
                user: 0,
                group: 0,
                links: 2,
                holds: 0,
                file_system: 0,
                contents: Contents::Directory {
                    entries: BTreeMap::new(),
                    parent: ROOT,
                },
            },
        );
        Self {
            nodes,
            mounts: BTreeMap::new(),
            next_mount: 1,
            next_number: ROOT + 1,
            now: Time::default(),
        }
    }

    fn node(&self, number: NodeNumber) -> Result<&Node<S>, Errno> {
        self.nodes.get(&number).ok_or(Errno::ENOENT)
    }

    fn node_mut(&mut self, number: NodeNumber) -> Result<&mut Node<S>, Errno> {
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
        // Writes through mapped frames stamp the storage, not the node; never later than now.
        let written = match &node.contents {
            Contents::File(FileData::Owned(storage)) => {
                storage.modified().map(|time| time.min(self.now))
            }
            _ => None,
        };
        let modified = node.times.modified.max(written.unwrap_or_default());
        let changed = node.times.changed.max(written.unwrap_or_default());
        let size = match &node.contents {
            Contents::Directory { .. } => 4096,
            Contents::File(data) => data.length(),
            Contents::Symlink(target) => target.len() as u64,
            Contents::Socket => 0,
        };
        Ok(Status {
            number,
            mode: node.mode,
            links: node.links,
            user: node.user,
            group: node.group,
            size,
            blocks: size.div_ceil(4096) * 8,
            accessed: node.times.accessed,
            modified,
            changed,
            file_system: node.file_system,
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

    fn is_mount_root(&self, number: NodeNumber) -> bool {
        self.mounts.values().any(|mount| mount.root == number)
    }

    /// Mounts a fresh, empty file system (a tmpfs: its root mode 1777, owned by root) on the
    /// directory `path` names, hiding what it held until [`Self::unmount`]; `shown` is the
    /// mount point's name for the table. New nodes below belong to it: `stat` reports its
    /// number, and `rename` or `link` between it and anything else is `EXDEV`. Only root may.
    ///
    /// # Errors
    /// `EPERM` (not root), `ENOTDIR`, `EBUSY` (the root or a mount point already), `ENOSPC`
    /// (mount numbers ran out), resolution errors.
    pub fn mount(
        &mut self,
        credentials: Credentials,
        start: NodeNumber,
        path: &str,
        shown: &str,
    ) -> Result<u32, Errno> {
        if credentials.user != 0 {
            return Err(Errno::EPERM);
        }
        let covered = self.resolve(credentials, start, path, FollowLast::Yes)?;
        let Contents::Directory { parent, .. } = self.node(covered)?.contents else {
            return Err(Errno::ENOTDIR);
        };
        if covered == ROOT || self.is_mount_root(covered) {
            return Err(Errno::EBUSY);
        }
        let Contents::Directory { entries, .. } = &self.node(parent)?.contents else {
            return Err(Errno::ENOTDIR);
        };
        let name = entries
            .iter()
            .find(|(_, number)| **number == covered)
            .map(|(name, _)| name.clone())
            .ok_or(Errno::ENOENT)?;
        let number = self.next_mount;
        self.next_mount = self.next_mount.checked_add(1).ok_or(Errno::ENOSPC)?;
        let root = self.next_number;
        self.next_number += 1;
        let now = self.now;
        self.nodes.insert(
            root,
            Node {
                times: Times {
                    accessed: now,
                    modified: now,
                    changed: now,
                },
                mode: S_IFDIR | 0o1777,
                user: 0,
                group: 0,
                links: 2,
                holds: 0,
                file_system: number,
                contents: Contents::Directory {
                    entries: BTreeMap::new(),
                    parent,
                },
            },
        );
        if let Contents::Directory { entries, .. } = &mut self.node_mut(parent)?.contents {
            entries.insert(name.clone(), root);
        }
        self.mounts.insert(
            number,
            Mount {
                root,
                covered,
                parent,
                name,
                shown: String::from(shown),
            },
        );
        Ok(number)
    }

    /// Unmounts the file system mounted at `path` (its root): every node of it goes and the
    /// directory it hid comes back. Only root may.
    ///
    /// # Errors
    /// `EPERM` (not root), `EINVAL` (not a mount point), `EBUSY` (a file of it is open, or
    /// another file system is mounted inside it), resolution errors.
    pub fn unmount(
        &mut self,
        credentials: Credentials,
        start: NodeNumber,
        path: &str,
    ) -> Result<(), Errno> {
        if credentials.user != 0 {
            return Err(Errno::EPERM);
        }
        let root = self.resolve(credentials, start, path, FollowLast::Yes)?;
        let (&number, mount) = self
            .mounts
            .iter()
            .find(|(_, mount)| mount.root == root)
            .ok_or(Errno::EINVAL)?;
        let busy = self
            .nodes
            .values()
            .any(|node| node.file_system == number && node.holds > 0)
            || self.mounts.values().any(|inner| {
                self.node(inner.parent)
                    .is_ok_and(|n| n.file_system == number)
            });
        if busy {
            return Err(Errno::EBUSY);
        }
        let (parent, name, covered) = (mount.parent, mount.name.clone(), mount.covered);
        if let Contents::Directory { entries, .. } = &mut self.node_mut(parent)?.contents {
            entries.insert(name, covered);
        }
        self.nodes.retain(|_, node| node.file_system != number);
        self.mounts.remove(&number);
        Ok(())
    }

    /// The mounted file systems, in mount order: (number, the name given at mount).
    #[must_use]
    pub fn mounts(&self) -> Vec<(u32, &str)> {
        self.mounts
            .iter()
            .map(|(&number, mount)| (number, mount.shown.as_str()))
            .collect()
    }

    fn view(&self, credentials: Credentials) -> View<'_, S> {
        View {
            tree: self,
            credentials,
        }
    }

    fn insert_node(
        &mut self,
        directory: NodeNumber,
        name: &str,
        node: Node<S>,
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
        self.touch_modified(directory);
        let mut node = node;
        node.file_system = self.node(directory)?.file_system;
        node.times = Times {
            accessed: self.now,
            modified: self.now,
            changed: self.now,
        };
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
                        times: Times::default(),
                        mode: S_IFREG | (mode & 0o7777),
                        user: credentials.user,
                        group: credentials.group,
                        links: 1,
                        holds: 0,
                        file_system: 0,
                        contents: Contents::File(FileData::Owned(S::empty()?)),
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
        if kind == S_IFSOCK {
            // Linux: a socket cannot be opened, only connected to.
            return Err(Errno::ENXIO);
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
            match data {
                FileData::Owned(storage) => storage.set_length(0)?,
                FileData::Borrowed(_) => *data = FileData::Owned(S::empty()?),
            }
            self.touch_modified(number);
            self.remove_privileges(credentials, number)?;
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
            Contents::File(data) => Ok(data.read_at(offset, buffer)),
            Contents::Directory { .. } => Err(Errno::EISDIR),
            Contents::Symlink(_) | Contents::Socket => Err(Errno::EINVAL),
        }
    }

    /// Writes into a file at `offset`, filling any gap with zeros.
    ///
    /// # Errors
    /// `EISDIR`, `EINVAL`, `EFBIG` at or past `limit` bytes (a write across it is cut short).
    pub fn write_at(
        &mut self,
        number: NodeNumber,
        offset: u64,
        data: &[u8],
        limit: u64,
    ) -> Result<usize, Errno> {
        if offset >= limit && !data.is_empty() {
            return Err(Errno::EFBIG);
        }
        // A write across the limit writes what fits, as Linux does at its maximum file size.
        let data = &data[..data.len().min((limit - offset.min(limit)) as usize)];
        let end = offset + data.len() as u64;
        match &mut self.node_mut(number)?.contents {
            Contents::File(file) => {
                file.owned()?.write_at(end - data.len() as u64, data)?;
                self.touch_modified(number);
                Ok(data.len())
            }
            Contents::Directory { .. } => Err(Errno::EISDIR),
            Contents::Symlink(_) | Contents::Socket => Err(Errno::EINVAL),
        }
    }

    /// The storage of a written file (`None` for an image file not yet written, a directory, a
    /// link or a missing node).
    #[must_use]
    pub fn storage(&self, number: NodeNumber) -> Option<&S> {
        match &self.node(number).ok()?.contents {
            Contents::File(FileData::Owned(storage)) => Some(storage),
            _ => None,
        }
    }

    /// The storage of a file, copying an image file's bytes into storage of its own first.
    ///
    /// # Errors
    /// `EISDIR`, `EINVAL` (not a regular file), `ENOSPC`.
    pub fn storage_mut(&mut self, number: NodeNumber) -> Result<&mut S, Errno> {
        match &mut self.node_mut(number)?.contents {
            Contents::File(file) => file.owned(),
            Contents::Directory { .. } => Err(Errno::EISDIR),
            Contents::Symlink(_) | Contents::Socket => Err(Errno::EINVAL),
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
                times: Times::default(),
                mode: S_IFDIR | (mode & 0o7777),
                user: credentials.user,
                group: credentials.group,
                links: 2,
                holds: 0,
                file_system: 0,
                contents: Contents::Directory {
                    entries: BTreeMap::new(),
                    parent: directory,
                },
            },
        )
    }

    /// `bind` of an AF_UNIX socket to a path (`mknodat` with `S_IFSOCK`): a socket node with
    /// `mode`'s permission bits (the caller applied its `umask`), owned by the caller.
    ///
    /// # Errors
    /// As [`Self::make_directory`] (`EEXIST` for any existing name, a link included).
    pub fn make_socket(
        &mut self,
        credentials: Credentials,
        start: NodeNumber,
        path: &str,
        mode: u32,
    ) -> Result<NodeNumber, Errno> {
        if path.ends_with('/') {
            return Err(Errno::ENOENT);
        }
        let (directory, name) = self.place_for_new_name(credentials, start, path)?;
        self.insert_node(
            directory,
            &name,
            Node {
                times: Times::default(),
                mode: S_IFSOCK | (mode & 0o7777),
                user: credentials.user,
                group: credentials.group,
                links: 1,
                holds: 0,
                // The directory's, set by `insert_node`.
                file_system: 0,
                contents: Contents::Socket,
            },
        )
    }

    /// `connect` to a socket path: the socket node `path` names (links followed), when
    /// `credentials` may write it (Linux's rule for connecting).
    ///
    /// # Errors
    /// `ENOENT`, `ENOTDIR`, `ELOOP`, `EACCES` (a directory crossed, or no write permission on
    /// the node), `ECONNREFUSED` (not a socket).
    pub fn socket_for_connect(
        &self,
        credentials: Credentials,
        start: NodeNumber,
        path: &str,
    ) -> Result<NodeNumber, Errno> {
        let number = self.resolve(credentials, start, path, FollowLast::Yes)?;
        if !matches!(self.node(number)?.contents, Contents::Socket) {
            return Err(Errno::ECONNREFUSED);
        }
        self.require(credentials, number, Access::Write)?;
        Ok(number)
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
                times: Times::default(),
                mode: S_IFREG | (permissions & 0o7777),
                user: 0,
                group: 0,
                links: 1,
                holds: 0,
                file_system: 0,
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
                times: Times::default(),
                mode: S_IFLNK | 0o777,
                user: credentials.user,
                group: credentials.group,
                links: 1,
                holds: 0,
                file_system: 0,
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
        if number == ROOT || self.is_mount_root(number) {
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
        self.touch_modified(parent.directory);
        self.touch_changed(number);
        self.unlink_node(parent.directory, number)
    }

    /// `renameat2` semantics: moves the name `old_path` (from `old_start`) to `new_path` (from
    /// `new_start`), replacing what is there unless `RENAME_NOREPLACE`; `RENAME_EXCHANGE` swaps
    /// the two names. Write and search permission on both directories; in a sticky directory
    /// only the owner of the file or of the directory (or root) may move or replace a name.
    ///
    /// # Errors
    /// `ENOENT`, `EACCES`, `EPERM` (sticky), `EEXIST` (`RENAME_NOREPLACE`), `EISDIR` (a
    /// non-directory over a directory), `ENOTDIR` (a directory over a non-directory, a trailing
    /// slash on a non-directory), `ENOTEMPTY`, `EINVAL` (a directory into itself, unknown or
    /// conflicting flags), `EBUSY` (the root, `.` or `..` as the last component).
    #[allow(clippy::too_many_arguments)]
    pub fn rename(
        &mut self,
        credentials: Credentials,
        old_start: NodeNumber,
        old_path: &str,
        new_start: NodeNumber,
        new_path: &str,
        flags: u32,
    ) -> Result<(), Errno> {
        use libposix_sys::fcntl::{RENAME_EXCHANGE, RENAME_NOREPLACE};
        if flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE) != 0
            || flags == RENAME_NOREPLACE | RENAME_EXCHANGE
        {
            return Err(Errno::EINVAL);
        }
        let exchange = flags & RENAME_EXCHANGE != 0;
        let old = resolve_parent(&self.view(credentials), old_start, old_path)?;
        let new = resolve_parent(&self.view(credentials), new_start, new_path)?;
        if self.node(old.directory)?.file_system != self.node(new.directory)?.file_system {
            return Err(Errno::EXDEV);
        }
        for path in [old_path, new_path] {
            if path.bytes().all(|byte| byte == b'/') {
                return Err(Errno::EBUSY);
            }
        }
        for name in [&old.name, &new.name] {
            if name == "." || name == ".." {
                return Err(Errno::EBUSY);
            }
        }
        let moving = self.view(credentials).lookup(old.directory, &old.name)?;
        let replaced = self.view(credentials).lookup(new.directory, &new.name).ok();
        if self.is_mount_root(moving) || replaced.is_some_and(|node| self.is_mount_root(node)) {
            return Err(Errno::EBUSY);
        }
        let replaced = match self.view(credentials).lookup(new.directory, &new.name) {
            Ok(number) => Some(number),
            Err(Errno::ENOENT) if !exchange => None,
            Err(error) => return Err(error),
        };
        let is_directory = |tree: &Self, number| {
            tree.node(number)
                .is_ok_and(|node| node.mode & S_IFMT == S_IFDIR)
        };
        let moving_is_directory = is_directory(self, moving);
        if !moving_is_directory && old.trailing_slash {
            return Err(Errno::ENOTDIR);
        }
        if let Some(replaced) = replaced {
            let replaced_is_directory = is_directory(self, replaced);
            if !replaced_is_directory && new.trailing_slash && (exchange || moving_is_directory) {
                return Err(Errno::ENOTDIR);
            }
            if !exchange {
                if flags & RENAME_NOREPLACE != 0 {
                    return Err(Errno::EEXIST);
                }
                if moving_is_directory && !replaced_is_directory {
                    return Err(Errno::ENOTDIR);
                }
                if !moving_is_directory && replaced_is_directory {
                    return Err(Errno::EISDIR);
                }
            }
        } else if !moving_is_directory && new.trailing_slash {
            return Err(Errno::ENOTDIR);
        }
        self.require(credentials, old.directory, Access::Write)?;
        self.require(credentials, new.directory, Access::Write)?;
        self.check_sticky(credentials, old.directory, moving)?;
        if let Some(replaced) = replaced {
            self.check_sticky(credentials, new.directory, replaced)?;
        }
        if replaced == Some(moving) {
            // Two names of one file: nothing to do (POSIX).
            return Ok(());
        }
        if moving == ROOT || replaced == Some(ROOT) {
            return Err(Errno::EBUSY);
        }
        // A directory may not move below itself (nor, exchanged, the other below it).
        if moving_is_directory && self.is_within(new.directory, moving) {
            return Err(Errno::EINVAL);
        }
        if let Some(replaced) = replaced
            && exchange
            && is_directory(self, replaced)
            && self.is_within(old.directory, replaced)
        {
            return Err(Errno::EINVAL);
        }
        if let Some(replaced) = replaced
            && !exchange
            && let Contents::Directory { entries, .. } = &self.node(replaced)?.contents
            && !entries.is_empty()
        {
            return Err(Errno::ENOTEMPTY);
        }
        if exchange {
            let replaced = replaced.ok_or(Errno::ENOENT)?;
            self.set_entry(old.directory, &old.name, Some(replaced))?;
            self.set_entry(new.directory, &new.name, Some(moving))?;
            self.reparent(replaced, old.directory)?;
            self.reparent(moving, new.directory)?;
            for number in [old.directory, new.directory] {
                self.touch_modified(number);
            }
            self.touch_changed(moving);
            self.touch_changed(replaced);
            return Ok(());
        }
        if let Some(replaced) = replaced {
            self.touch_changed(replaced);
            self.unlink_node(new.directory, replaced)?;
        }
        self.set_entry(old.directory, &old.name, None)?;
        self.set_entry(new.directory, &new.name, Some(moving))?;
        self.reparent(moving, new.directory)?;
        for number in [old.directory, new.directory] {
            self.touch_modified(number);
        }
        self.touch_changed(moving);
        Ok(())
    }

    /// Whether `number` is `ancestor` or lies below it.
    fn is_within(&self, mut number: NodeNumber, ancestor: NodeNumber) -> bool {
        loop {
            if number == ancestor {
                return true;
            }
            match self.node(number).map(|node| &node.contents) {
                Ok(Contents::Directory { parent, .. }) if *parent != number => number = *parent,
                _ => return false,
            }
        }
    }

    /// The sticky-directory rule for removing or replacing `number`'s name in `directory`.
    fn check_sticky(
        &self,
        credentials: Credentials,
        directory: NodeNumber,
        number: NodeNumber,
    ) -> Result<(), Errno> {
        let directory = self.node(directory)?;
        let node = self.node(number)?;
        if directory.mode & S_ISVTX != 0
            && credentials.user != 0
            && credentials.user != directory.user
            && credentials.user != node.user
        {
            return Err(Errno::EPERM);
        }
        Ok(())
    }

    /// Sets (or, with `None`, removes) the entry `name` of `directory`.
    fn set_entry(
        &mut self,
        directory: NodeNumber,
        name: &str,
        number: Option<NodeNumber>,
    ) -> Result<(), Errno> {
        let Contents::Directory { entries, .. } = &mut self.node_mut(directory)?.contents else {
            return Err(Errno::ENOTDIR);
        };
        match number {
            Some(number) => entries.insert(String::from(name), number),
            None => entries.remove(name),
        };
        Ok(())
    }

    /// A directory's new parent (and the link counts of both parents: each subdirectory's `..`
    /// is a link of its parent); nothing for other nodes.
    fn reparent(&mut self, number: NodeNumber, directory: NodeNumber) -> Result<(), Errno> {
        let Contents::Directory { parent, .. } = &mut self.node_mut(number)?.contents else {
            return Ok(());
        };
        let old = core::mem::replace(parent, directory);
        if old != directory {
            self.node_mut(old)?.links -= 1;
            self.node_mut(directory)?.links += 1;
        }
        Ok(())
    }

    /// Drops a name's link to `number` (its entry already being overwritten or removed): a
    /// directory goes at once, a file with its last link and handle.
    fn unlink_node(&mut self, directory: NodeNumber, number: NodeNumber) -> Result<(), Errno> {
        if matches!(self.node(number)?.contents, Contents::Directory { .. }) {
            self.node_mut(directory)?.links -= 1;
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
        self.access_node(credentials, number, mode)
    }

    /// `faccessat2` with `AT_EMPTY_PATH`: whether `credentials` may access node `number` as
    /// `mode`.
    ///
    /// # Errors
    /// `EACCES`, `EINVAL` (unknown mode bits), `ENOENT`.
    pub fn access_node(
        &self,
        credentials: Credentials,
        number: NodeNumber,
        mode: u32,
    ) -> Result<(), Errno> {
        if mode & !0o7 != 0 {
            return Err(Errno::EINVAL);
        }
        self.node(number)?;
        for (bit, access) in [(4, Access::Read), (2, Access::Write), (1, Access::Execute)] {
            if mode & bit != 0 {
                self.require(credentials, number, access)?;
            }
        }
        Ok(())
    }

    /// `chmod`: only the owner or root may change the permission bits. As on Linux, an owner
    /// other than root who is not in the file's group cannot set its set-group-ID bit (it is
    /// cleared silently; the caller's one group is the one its badge names).
    ///
    /// # Errors
    /// `EPERM`, `ENOENT`.
    pub fn change_mode(
        &mut self,
        credentials: Credentials,
        number: NodeNumber,
        permissions: u32,
    ) -> Result<(), Errno> {
        use libposix_sys::mode::S_ISGID;
        let node = self.node_mut(number)?;
        if credentials.user != 0 && credentials.user != node.user {
            return Err(Errno::EPERM);
        }
        let mut permissions = permissions & 0o7777;
        if credentials.user != 0 && credentials.group != node.group {
            permissions &= !S_ISGID;
        }
        node.mode = (node.mode & S_IFMT) | permissions;
        self.touch_changed(number);
        Ok(())
    }

    /// Linux's `file_remove_privs`, for a write or truncation of `number` by `credentials`:
    /// anyone but root takes a regular file's set-user-ID bit away, and its set-group-ID bit
    /// when it is group-executable (without group execute, set-group-ID means mandatory
    /// locking, which a write leaves). Changes the change time only when a bit went.
    ///
    /// # Errors
    /// `ENOENT` (no such node).
    pub fn remove_privileges(
        &mut self,
        credentials: Credentials,
        number: NodeNumber,
    ) -> Result<(), Errno> {
        use libposix_sys::mode::{S_IFREG, S_ISGID, S_ISUID, S_IXGRP};
        let node = self.node_mut(number)?;
        if credentials.user == 0 || node.mode & S_IFMT != S_IFREG {
            return Ok(());
        }
        let mut removed = S_ISUID;
        if node.mode & S_IXGRP != 0 {
            removed |= S_ISGID;
        }
        if node.mode & removed == 0 {
            return Ok(());
        }
        node.mode &= !removed;
        self.touch_changed(number);
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
        if self.node(existing)?.file_system != self.node(directory)?.file_system {
            return Err(Errno::EXDEV);
        }
        if self.node(existing)?.links == u32::MAX {
            return Err(Errno::EMLINK);
        }
        let Contents::Directory { entries, .. } = &mut self.node_mut(directory)?.contents else {
            return Err(Errno::ENOTDIR);
        };
        entries.insert(name, existing);
        self.node_mut(existing)?.links += 1;
        self.touch_modified(directory);
        self.touch_changed(existing);
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
                file.owned()?.set_length(length)?;
                self.touch_modified(number);
                Ok(())
            }
            Contents::Directory { .. } => Err(Errno::EISDIR),
            Contents::Symlink(_) | Contents::Socket => Err(Errno::EINVAL),
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

    /// How many nodes the tree holds (`statfs`'s files in use).
    #[must_use]
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Sets the time operations stamp from now on (the server calls this with `CLOCK_REALTIME`
    /// before each request).
    pub fn set_clock(&mut self, now: Time) {
        self.now = now;
    }

    /// Stamps `st_atime` (a read).
    pub fn mark_accessed(&mut self, number: NodeNumber) {
        let now = self.now;
        if let Ok(node) = self.node_mut(number) {
            node.times.accessed = now;
        }
    }

    /// Stamps `st_mtime` and `st_ctime` (the contents changed).
    pub fn touch_modified(&mut self, number: NodeNumber) {
        let now = self.now;
        if let Ok(node) = self.node_mut(number) {
            node.times.modified = now;
            node.times.changed = now;
        }
    }

    /// Stamps `st_ctime` (the metadata changed).
    fn touch_changed(&mut self, number: NodeNumber) {
        let now = self.now;
        if let Ok(node) = self.node_mut(number) {
            node.times.changed = now;
        }
    }

    /// `fchownat`: `user`/`group` `None` leave that id. Only root gives a file away; the owner
    /// may set the group to its own (the server knows one group per caller). A regular file
    /// loses its set-user-ID bit, and its set-group-ID bit when group-executable, as on Linux.
    ///
    /// # Errors
    /// `EPERM`.
    pub fn change_owner(
        &mut self,
        credentials: Credentials,
        number: NodeNumber,
        user: Option<u32>,
        group: Option<u32>,
    ) -> Result<(), Errno> {
        use libposix_sys::mode::{S_ISGID, S_ISUID, S_IXGRP};
        let node = self.node_mut(number)?;
        if credentials.user != 0 {
            let gives_away = user.is_some_and(|user| user != node.user);
            let foreign_group =
                group.is_some_and(|group| group != node.group && group != credentials.group);
            if credentials.user != node.user || gives_away || foreign_group {
                return Err(Errno::EPERM);
            }
        }
        if let Some(user) = user {
            node.user = user;
        }
        if let Some(group) = group {
            node.group = group;
        }
        if node.mode & S_IFMT != S_IFDIR && (user.is_some() || group.is_some()) {
            node.mode &= !S_ISUID;
            if node.mode & S_IXGRP != 0 {
                node.mode &= !S_ISGID;
            }
        }
        self.touch_changed(number);
        Ok(())
    }

    /// `utimensat`: sets the access and modification times. Setting both to now needs
    /// ownership or write permission (`EACCES`); any other time needs ownership (`EPERM`);
    /// root may always. The change time becomes now (unless both are omitted).
    ///
    /// # Errors
    /// `EACCES`, `EPERM`.
    pub fn set_times(
        &mut self,
        credentials: Credentials,
        number: NodeNumber,
        accessed: TimeChange,
        modified: TimeChange,
    ) -> Result<(), Errno> {
        if accessed == TimeChange::Omit && modified == TimeChange::Omit {
            return Ok(());
        }
        let explicit =
            matches!(accessed, TimeChange::To(_)) || matches!(modified, TimeChange::To(_));
        let owner = credentials.user == 0 || credentials.user == self.node(number)?.user;
        if !owner {
            if explicit {
                return Err(Errno::EPERM);
            }
            self.require(credentials, number, Access::Write)?;
        }
        let now = self.now;
        let resolve = |change: TimeChange, current: Time| match change {
            TimeChange::Now => now,
            TimeChange::Omit => current,
            TimeChange::To(time) => time,
        };
        let node = self.node_mut(number)?;
        if let Contents::File(FileData::Owned(storage)) = &mut node.contents {
            // The explicit time wins over the last mapped write's stamp.
            storage.forget_modified();
        }
        node.times.accessed = resolve(accessed, node.times.accessed);
        node.times.modified = resolve(modified, node.times.modified);
        node.times.changed = now;
        Ok(())
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
struct View<'a, S> {
    tree: &'a MemoryTree<S>,
    credentials: Credentials,
}

impl<S: FileStorage> Namespace for View<'_, S> {
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

    #[test]
    fn set_id_bits_follow_linux_rules_for_chmod_truncation_and_root() {
        use libposix_sys::mode::{S_ISGID, S_ISUID};
        let mut tree = tree_with_tmp();
        let file = tree
            .open(ALICE, ROOT, "/tmp/program", O_CREAT | O_WRONLY, 0o755)
            .unwrap();
        // Alice's own group: both bits stay; another user may not chmod at all.
        tree.change_mode(ALICE, file, 0o6755).unwrap();
        assert_eq!(tree.status(file).unwrap().mode & 0o7777, 0o6755);
        assert_eq!(tree.change_mode(BOB, file, 0o6777), Err(Errno::EPERM));
        // A write by the owner takes both away (group-executable).
        tree.remove_privileges(ALICE, file).unwrap();
        assert_eq!(tree.status(file).unwrap().mode & 0o7777, 0o755);
        // Without group execute, set-group-ID (mandatory locking) stays.
        tree.change_mode(ALICE, file, 0o6745).unwrap();
        tree.remove_privileges(ALICE, file).unwrap();
        assert_eq!(tree.status(file).unwrap().mode & 0o7777, 0o2745);
        // Root's writes keep them.
        tree.change_mode(ALICE, file, 0o6755).unwrap();
        tree.remove_privileges(Credentials::ROOT, file).unwrap();
        assert_eq!(tree.status(file).unwrap().mode & 0o7777, 0o6755);
        // O_TRUNC by the owner is a write.
        tree.open(ALICE, ROOT, "/tmp/program", O_TRUNC | O_WRONLY, 0)
            .unwrap();
        assert_eq!(tree.status(file).unwrap().mode & (S_ISUID | S_ISGID), 0);
        // Setting set-group-ID on a file of a group one is not in: cleared silently.
        tree.change_owner(Credentials::ROOT, file, None, Some(50))
            .unwrap();
        tree.change_mode(ALICE, file, 0o6755).unwrap();
        assert_eq!(tree.status(file).unwrap().mode & 0o7777, 0o4755);
        tree.change_mode(Credentials::ROOT, file, 0o6755).unwrap();
        assert_eq!(tree.status(file).unwrap().mode & 0o7777, 0o6755);
    }

    #[test]
    fn a_mount_is_a_fresh_file_system_until_unmounted() {
        let mut tree = tree_with_tmp();
        tree.make_directory(Credentials::ROOT, ROOT, "/tmp/mount", 0o755)
            .unwrap();
        tree.open(
            Credentials::ROOT,
            ROOT,
            "/tmp/mount/hidden",
            O_CREAT | O_WRONLY,
            0o644,
        )
        .unwrap();
        assert_eq!(
            tree.mount(ALICE, ROOT, "/tmp/mount", "/tmp/mount"),
            Err(Errno::EPERM)
        );
        assert_eq!(
            tree.mount(Credentials::ROOT, ROOT, "/", "/"),
            Err(Errno::EBUSY)
        );
        let number = tree
            .mount(Credentials::ROOT, ROOT, "/tmp/mount", "/tmp/mount")
            .unwrap();
        assert_eq!(tree.mounts(), alloc::vec![(number, "/tmp/mount")]);
        assert_eq!(
            tree.mount(Credentials::ROOT, ROOT, "/tmp/mount", "/tmp/mount"),
            Err(Errno::EBUSY)
        );
        assert_eq!(
            tree.resolve(
                Credentials::ROOT,
                ROOT,
                "/tmp/mount/hidden",
                FollowLast::Yes
            ),
            Err(Errno::ENOENT)
        );
        let root = tree
            .resolve(Credentials::ROOT, ROOT, "/tmp/mount", FollowLast::Yes)
            .unwrap();
        assert_eq!(tree.status(root).unwrap().mode, S_IFDIR | 0o1777);
        let file = tree
            .open(ALICE, ROOT, "/tmp/mount/file", O_CREAT | O_WRONLY, 0o644)
            .unwrap();
        assert_eq!(tree.status(file).unwrap().file_system, number);
        let tmp = tree
            .resolve(Credentials::ROOT, ROOT, "/tmp", FollowLast::Yes)
            .unwrap();
        assert_eq!(tree.status(tmp).unwrap().file_system, 0);
        assert_eq!(
            tree.resolve(Credentials::ROOT, ROOT, "/tmp/mount/..", FollowLast::Yes),
            Ok(tmp)
        );
        assert_eq!(
            tree.rename(ALICE, ROOT, "/tmp/mount/file", ROOT, "/tmp/file", 0),
            Err(Errno::EXDEV)
        );
        assert_eq!(tree.link(ALICE, file, ROOT, "/tmp/file"), Err(Errno::EXDEV));
        assert_eq!(
            tree.rename(Credentials::ROOT, ROOT, "/tmp/mount", ROOT, "/tmp/moved", 0),
            Err(Errno::EBUSY)
        );
        assert_eq!(
            tree.remove(Credentials::ROOT, ROOT, "/tmp/mount", true),
            Err(Errno::EBUSY)
        );
        tree.rename(
            ALICE,
            ROOT,
            "/tmp/mount/file",
            ROOT,
            "/tmp/mount/renamed",
            0,
        )
        .unwrap();
        tree.hold(file).unwrap();
        assert_eq!(
            tree.unmount(Credentials::ROOT, ROOT, "/tmp/mount"),
            Err(Errno::EBUSY)
        );
        assert_eq!(tree.unmount(ALICE, ROOT, "/tmp/mount"), Err(Errno::EPERM));
        assert_eq!(
            tree.unmount(Credentials::ROOT, ROOT, "/tmp"),
            Err(Errno::EINVAL)
        );
        tree.release(file);
        let nodes = tree.node_count();
        tree.unmount(Credentials::ROOT, ROOT, "/tmp/mount").unwrap();
        assert_eq!(tree.node_count(), nodes - 2);
        assert!(tree.mounts().is_empty());
        assert!(
            tree.resolve(
                Credentials::ROOT,
                ROOT,
                "/tmp/mount/hidden",
                FollowLast::Yes
            )
            .is_ok()
        );
    }

    fn tree_with_tmp() -> MemoryTree {
        let mut tree = MemoryTree::<alloc::vec::Vec<u8>>::new();
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
    fn socket_nodes_are_made_once_and_connected_to_with_write_permission() {
        let mut tree = tree_with_tmp();
        let socket = tree.make_socket(ALICE, ROOT, "/tmp/s", 0o700).unwrap();
        assert_eq!(tree.status(socket).unwrap().mode, S_IFSOCK | 0o700);
        assert_eq!(
            tree.make_socket(ALICE, ROOT, "/tmp/s", 0o700),
            Err(Errno::EEXIST)
        );
        assert_eq!(tree.socket_for_connect(ALICE, ROOT, "/tmp/s"), Ok(socket));
        assert_eq!(
            tree.socket_for_connect(BOB, ROOT, "/tmp/s"),
            Err(Errno::EACCES)
        );
        assert_eq!(
            tree.socket_for_connect(BOB, ROOT, "/tmp/none"),
            Err(Errno::ENOENT)
        );
        assert_eq!(
            tree.open(ALICE, ROOT, "/tmp/s", O_RDWR, 0),
            Err(Errno::ENXIO)
        );
        tree.change_mode(ALICE, socket, 0o722).unwrap();
        assert_eq!(tree.socket_for_connect(BOB, ROOT, "/tmp/s"), Ok(socket));
        tree.open(ALICE, ROOT, "/tmp/f", O_CREAT | O_WRONLY, 0o666)
            .unwrap();
        assert_eq!(
            tree.socket_for_connect(BOB, ROOT, "/tmp/f"),
            Err(Errno::ECONNREFUSED)
        );
        assert_eq!(tree.remove(ALICE, ROOT, "/tmp/s", false), Ok(()));
        assert_eq!(
            tree.socket_for_connect(ALICE, ROOT, "/tmp/s"),
            Err(Errno::ENOENT)
        );
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
        let mut tree = MemoryTree::<alloc::vec::Vec<u8>>::new();
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

    #[test]
    fn rename_moves_replaces_and_refuses_as_linux_does() {
        use libposix_sys::fcntl::{RENAME_EXCHANGE, RENAME_NOREPLACE};
        let mut tree = tree_with_tmp();
        let file = tree
            .open(ALICE, ROOT, "/tmp/a", O_CREAT | O_WRONLY, 0o644)
            .unwrap();
        let other = tree
            .open(ALICE, ROOT, "/tmp/b", O_CREAT | O_WRONLY, 0o644)
            .unwrap();
        let directory = tree.make_directory(ALICE, ROOT, "/tmp/d", 0o755).unwrap();
        tree.make_directory(ALICE, ROOT, "/tmp/d/e", 0o755).unwrap();
        let empty = tree
            .make_directory(ALICE, ROOT, "/tmp/empty", 0o755)
            .unwrap();
        let rename = |tree: &mut MemoryTree, old: &str, new: &str, flags| {
            tree.rename(ALICE, ROOT, old, ROOT, new, flags)
        };
        // Over an existing file: the old name goes, the new one names the moved file.
        assert_eq!(rename(&mut tree, "/tmp/a", "/tmp/b", 0), Ok(()));
        assert_eq!(
            tree.resolve(ALICE, ROOT, "/tmp/b", FollowLast::Yes),
            Ok(file)
        );
        assert_eq!(
            tree.resolve(ALICE, ROOT, "/tmp/a", FollowLast::Yes),
            Err(Errno::ENOENT)
        );
        assert_eq!(tree.status(other), Err(Errno::ENOENT));
        assert_eq!(rename(&mut tree, "/tmp/a", "/tmp/c", 0), Err(Errno::ENOENT));
        // The same file under two names: nothing happens.
        tree.link(ALICE, file, ROOT, "/tmp/hard").unwrap();
        assert_eq!(rename(&mut tree, "/tmp/b", "/tmp/hard", 0), Ok(()));
        assert_eq!(tree.status(file).unwrap().links, 2);
        assert_eq!(rename(&mut tree, "/tmp/b", "/tmp/d", 0), Err(Errno::EISDIR));
        assert_eq!(
            rename(&mut tree, "/tmp/d", "/tmp/b", 0),
            Err(Errno::ENOTDIR)
        );
        assert_eq!(
            rename(&mut tree, "/tmp/b/", "/tmp/x", 0),
            Err(Errno::ENOTDIR)
        );
        assert_eq!(
            rename(&mut tree, "/tmp/empty", "/tmp/d", 0),
            Err(Errno::ENOTEMPTY)
        );
        assert_eq!(
            rename(&mut tree, "/tmp/d", "/tmp/d/e/inner", 0),
            Err(Errno::EINVAL)
        );
        assert_eq!(rename(&mut tree, "/tmp/d", "/tmp/d", 0), Ok(()));
        assert_eq!(
            rename(&mut tree, "/tmp/b", "/tmp/hard2", RENAME_NOREPLACE),
            Ok(())
        );
        assert_eq!(
            rename(&mut tree, "/tmp/hard2", "/tmp/hard", RENAME_NOREPLACE),
            Err(Errno::EEXIST),
            "NOREPLACE refuses an existing name before the same-file rule (Linux)"
        );
        assert_eq!(
            rename(&mut tree, "/tmp/hard2", "/tmp/d", RENAME_NOREPLACE),
            Err(Errno::EEXIST)
        );
        assert_eq!(
            rename(
                &mut tree,
                "/tmp/hard2",
                "/tmp/d",
                RENAME_NOREPLACE | RENAME_EXCHANGE
            ),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            rename(&mut tree, "/tmp/hard2", "/tmp/x", 8),
            Err(Errno::EINVAL)
        );
        // A directory over an empty one, moving to another parent: link counts follow.
        let tmp = tree.resolve(ALICE, ROOT, "/tmp", FollowLast::Yes).unwrap();
        let tmp_links = tree.status(tmp).unwrap().links;
        assert_eq!(rename(&mut tree, "/tmp/d/e", "/tmp/empty", 0), Ok(()));
        assert_eq!(tree.status(directory).unwrap().links, 2);
        assert_eq!(tree.status(tmp).unwrap().links, tmp_links);
        assert_eq!(tree.status(empty), Err(Errno::ENOENT));
        assert_eq!(
            tree.resolve(ALICE, ROOT, "/tmp/empty/..", FollowLast::Yes),
            Ok(tmp)
        );
        // Exchange swaps a file and a directory.
        assert_eq!(
            rename(&mut tree, "/tmp/hard2", "/tmp/d", RENAME_EXCHANGE),
            Ok(())
        );
        assert_eq!(
            tree.resolve(ALICE, ROOT, "/tmp/d", FollowLast::Yes),
            Ok(file)
        );
        assert_eq!(
            tree.resolve(ALICE, ROOT, "/tmp/hard2", FollowLast::Yes),
            Ok(directory)
        );
        assert_eq!(
            rename(&mut tree, "/tmp/d", "/tmp/none", RENAME_EXCHANGE),
            Err(Errno::ENOENT)
        );
        // Sticky /tmp: Bob may not move or replace Alice's names; `.`, `..` and `/` are busy.
        assert_eq!(
            tree.rename(BOB, ROOT, "/tmp/d", ROOT, "/tmp/bob", 0),
            Err(Errno::EPERM)
        );
        assert_eq!(rename(&mut tree, "/tmp/.", "/tmp/x", 0), Err(Errno::EBUSY));
        assert_eq!(rename(&mut tree, "/", "/tmp/x", 0), Err(Errno::EBUSY));
        // No write permission on the source directory.
        tree.make_directory(ALICE, ROOT, "/tmp/locked", 0o555)
            .unwrap();
        tree.make_directory(Credentials::ROOT, ROOT, "/tmp/locked2", 0o755)
            .ok();
        assert_eq!(
            tree.rename(BOB, ROOT, "/tmp/locked2", ROOT, "/tmp/bob", 0),
            Err(Errno::EPERM)
        );
        assert_eq!(
            rename(&mut tree, "/tmp/d", "/tmp/locked/x", 0),
            Err(Errno::EACCES)
        );
    }

    #[test]
    fn times_follow_posix_and_utimens_and_chown_check_permissions() {
        let at = |seconds| Time {
            seconds,
            nanoseconds: 5,
        };
        let mut tree = tree_with_tmp();
        let tmp = tree.resolve(ALICE, ROOT, "/tmp", FollowLast::Yes).unwrap();
        tree.set_clock(at(10));
        let file = tree
            .open(ALICE, ROOT, "/tmp/t", O_CREAT | O_WRONLY, 0o4755)
            .unwrap();
        let status = tree.status(file).unwrap();
        assert_eq!(
            (status.accessed, status.modified, status.changed),
            (at(10), at(10), at(10))
        );
        assert_eq!(tree.status(tmp).unwrap().modified, at(10));
        tree.set_clock(at(20));
        tree.write_at(file, 0, b"x", LIMIT).unwrap();
        let status = tree.status(file).unwrap();
        assert_eq!(
            (status.accessed, status.modified, status.changed),
            (at(10), at(20), at(20))
        );
        tree.set_clock(at(30));
        tree.mark_accessed(file);
        tree.change_mode(ALICE, file, 0o4755).unwrap();
        let status = tree.status(file).unwrap();
        assert_eq!(
            (status.accessed, status.modified, status.changed),
            (at(30), at(20), at(30))
        );
        // utimensat: Bob may not set explicit times, nor "now" without write permission.
        assert_eq!(
            tree.set_times(BOB, file, TimeChange::To(at(1)), TimeChange::Omit),
            Err(Errno::EPERM)
        );
        assert_eq!(
            tree.set_times(BOB, file, TimeChange::Now, TimeChange::Now),
            Err(Errno::EACCES)
        );
        tree.set_clock(at(40));
        assert_eq!(
            tree.set_times(ALICE, file, TimeChange::To(at(1)), TimeChange::Omit),
            Ok(())
        );
        let status = tree.status(file).unwrap();
        assert_eq!(
            (status.accessed, status.modified, status.changed),
            (at(1), at(20), at(40))
        );
        // chown: only root gives a file away; the owner may set its own group; set-user-ID goes.
        assert_eq!(
            tree.change_owner(ALICE, file, Some(2000), None),
            Err(Errno::EPERM)
        );
        assert_eq!(
            tree.change_owner(ALICE, file, None, Some(4242)),
            Err(Errno::EPERM)
        );
        assert_eq!(
            tree.change_owner(BOB, file, None, Some(BOB.group)),
            Err(Errno::EPERM)
        );
        assert_eq!(
            tree.change_owner(ALICE, file, Some(ALICE.user), Some(ALICE.group)),
            Ok(())
        );
        assert_eq!(tree.status(file).unwrap().mode & 0o7777, 0o755);
        assert_eq!(
            tree.change_owner(Credentials::ROOT, file, Some(2000), Some(7)),
            Ok(())
        );
        let status = tree.status(file).unwrap();
        assert_eq!((status.user, status.group), (2000, 7));
        // Renaming stamps both directories and the file's change time.
        tree.set_clock(at(50));
        tree.rename(Credentials::ROOT, ROOT, "/tmp/t", ROOT, "/tmp/u", 0)
            .unwrap();
        assert_eq!(tree.status(file).unwrap().changed, at(50));
        assert_eq!(tree.status(tmp).unwrap().modified, at(50));
    }
}
