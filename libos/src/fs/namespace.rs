//! The file namespace this LibOS serves today: `/` holding `/dev`, and devfs's devices in it.
//!
//! Resolution itself is [`vfs::path`]'s; this is the tree it walks. The shared root file system
//! (files, `/tmp`, `/bin`) is not mounted yet: names outside `/dev` do not exist.

use alloc::string::String;

use libposix_sys::errno::Errno;
use vfs::path::{Namespace, NodeKind};

use crate::io::devices::Device;

/// A node of the namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Node {
    /// `/`.
    Root,
    /// `/dev`.
    DeviceDirectory,
    /// A device in `/dev`.
    Device(Device),
}

/// The namespace (it has no state: devfs's names are fixed).
pub struct Tree;

impl Namespace for Tree {
    type Node = Node;

    fn root(&self) -> Node {
        Node::Root
    }

    fn kind(&self, node: Node) -> NodeKind {
        match node {
            Node::Root | Node::DeviceDirectory => NodeKind::Directory,
            Node::Device(_) => NodeKind::Other,
        }
    }

    fn parent(&self, _directory: Node) -> Node {
        Node::Root
    }

    fn lookup(&self, directory: Node, name: &str) -> Result<Node, Errno> {
        match directory {
            Node::Root if name == "dev" => Ok(Node::DeviceDirectory),
            Node::DeviceDirectory => Device::named(name).map(Node::Device).ok_or(Errno::ENOENT),
            Node::Root => Err(Errno::ENOENT),
            Node::Device(_) => Err(Errno::ENOTDIR),
        }
    }

    fn read_link(&self, _node: Node) -> Result<String, Errno> {
        Err(Errno::EINVAL)
    }
}

impl Node {
    /// The absolute path of a directory node (for `getcwd`).
    #[must_use]
    pub fn path(self) -> &'static str {
        match self {
            Self::Root => "/",
            Self::DeviceDirectory => "/dev",
            Self::Device(_) => "",
        }
    }
}
