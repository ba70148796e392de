//! The library operating system linked into every process.
#![no_std]
