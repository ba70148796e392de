//! The POSIX shell language without any system calls, so that `cargo test` checks it on the host.
//!
//! - [`arithmetic`]: `$((…))` expressions in 64-bit integers.
//! - [`syntax`]: the tree a command line parses into (lists, pipelines, commands, words).
//! - [`parser`]: the source text to that tree — tokens, quoting, here-documents, reserved words.
//! - [`expansion`]: words to fields — parameters, command substitution, field splitting,
//!   pathname expansion and quote removal — over any [`expansion::Context`].
//! - [`pattern`]: `*`, `?` and `[…]` matching, and pathname expansion over any directory lister.
//! - [`quote`]: quoting a string so that the shell reads it back unchanged.
#![no_std]

extern crate alloc;

pub mod arithmetic;
pub mod expansion;
pub mod parser;
pub mod pattern;
pub mod quote;
pub mod syntax;
