//! The LibOS's pure file logic, with no kernel calls, so that `cargo test` checks it on the host.
//!
//! - [`fd_table`]: a process's file descriptors and their close-on-exec flags, over shared open
//!   file descriptions.
//! - [`path`]: path resolution (absolute, relative, `.`, `..`, symlinks, trailing slashes) over
//!   any tree that implements [`path::Namespace`].
//! - [`memory_tree`]: an in-memory tree with owners and permission checks, for the file server.
//! - [`storage`]: where a written file's bytes live, and the segment layout of its frames.
#![no_std]

extern crate alloc;

pub mod fd_table;
pub mod memory_tree;
pub mod path;
pub mod storage;
