//! `execve`: this process runs another program in place — same environment, pid, parent and
//! watchers, same capability space — on a fresh address space built by the LibOS.
//!
//! The new image is built from our own quota (`AddressSpaceCreate`, one frame per segment and
//! the stack, as `spawn` builds a child's) into fresh slots; then our old image frames (slots
//! 16–63) and address space (slot 1) move out of the way and the new ones move in, and
//! `EnvironmentReplaceImage` swaps the address space and registers in one call. The descriptors
//! without FD_CLOEXEC survive: their table is handed over in a frame (`io::inheritance`) and the
//! capabilities behind them stay in their slots. The new image's start-up deletes every other
//! slot from 64 to the end of our space (the old image, heap, threads, copy pool and the
//! close-on-exec descriptors' capabilities), before its heap takes one. The process's other
//! threads end just before the switch (`exec_threads`), and an `execve` on a thread other than
//! the main one puts the new image into the main environment.

use alloc::string::String;
use alloc::vec::Vec;
use core::convert::Infallible;

use exokernel_abi::{Call, KernelError, Slot, UserAddress, initial};
use libposix_sys::errno::Errno;

use super::exec_threads::{self, Caller};
use super::initramfs::initramfs;
use super::spawn::{
    MAXIMUM_COMMAND_BYTES, SpawnError, build_image, find_program, parse_executable,
};
use crate::kernel::call;
use crate::slots::{self, FORKED_SLOT_COUNT};

/// Linux's `PATH_MAX`: a path this long or longer is `ENAMETOOLONG`.
const PATH_MAXIMUM: usize = 4096;
/// Linux's `NAME_MAX`: the longest path component.
const NAME_MAXIMUM: usize = 255;

/// Percent-encodes `word` for the start-up protocol (spaces, `%` and control bytes escaped).
fn encode_word(word: &str, into: &mut String) {
    for byte in word.bytes() {
        if byte <= b' ' || byte == b'%' || byte >= 0x7f {
            let _ = core::fmt::Write::write_fmt(into, format_args!("%{byte:02X}"));
        } else {
            into.push(byte as char);
        }
    }
}

/// The words encoded and joined by spaces, or `E2BIG` when longer than the protocol carries.
pub(super) fn encode_words(words: &[&str]) -> Result<String, Errno> {
    let mut encoded = String::new();
    for (index, word) in words.iter().enumerate() {
        if index > 0 {
            encoded.push(' ');
        }
        encode_word(word, &mut encoded);
        if encoded.len() > MAXIMUM_COMMAND_BYTES {
            return Err(Errno::E2BIG);
        }
    }
    Ok(encoded)
}

/// How many `#!` interpreters may be chained (Linux's limit; one more is `ELOOP`).
const INTERPRETER_DEPTH: usize = 4;
/// The most bytes of a `#!` line that are read (Linux's `BINPRM_BUF_SIZE`).
const INTERPRETER_LINE_MAXIMUM: usize = 256;
/// The largest program read through the file server (64 MiB).
const PROGRAM_MAXIMUM: usize = 64 << 20;

/// This program's environment as it was started (percent-encoded words), for `execv` and
/// `execvp`, which pass the caller's environment on.
static ENVIRONMENT: spin::Mutex<&'static str> = spin::Mutex::new("");

/// Records the environment start-up received.
pub fn set_environment(environment: &'static str) {
    *ENVIRONMENT.lock() = environment;
}

/// The environment this program was started with, decoded (`NAME=value` words).
#[must_use]
pub fn environment() -> Vec<String> {
    let encoded = *ENVIRONMENT.lock();
    encoded
        .split(' ')
        .filter(|word| !word.is_empty())
        .map(crate::percent_decode)
        .collect()
}

/// `execve`: replaces this process's program with the one at `path`, with `argv` as its words
/// and `envp` as its environment. Returns only on failure.
///
/// The file is found through the shared file system when this process has a file server (so
/// programs and scripts written at run time run, and permissions count), else in the
/// initramfs. A file starting with `#!` runs its interpreter as Linux does: the interpreter's
/// path, at most one argument (the rest of the line), the script's path, then `argv[1..]`.
///
/// # Errors
/// `ENAMETOOLONG` (the path is 4096 bytes or more, or a component is over 255), `ENOENT` (no
/// such program, or an empty path), `ENOTDIR`, `EACCES` (not a regular file, no execute
/// permission, or a directory on the way not searchable), `E2BIG` (argv or envp over 4096
/// encoded bytes), `ENOEXEC` (not a static x86_64 executable, however malformed, or a `#!` line
/// naming no interpreter), `ELOOP` (more than four interpreters chained), `ENOMEM` (memory or
/// slots ran out), `EAGAIN` (called on a thread other than the main one, and the main thread
/// did not stop within a second). In every case this process carries on unchanged. With other
/// threads alive they end first; a failure after that (only a lack of memory or slots can
/// cause one) ends the process with status 127.
pub fn execve(path: &str, argv: &[&str], envp: &[&str]) -> Result<Infallible, Errno> {
    execve_at_depth(path, argv, envp, 0, path)
}

/// `execv`: [`execve`] with this program's own environment.
///
/// # Errors
/// As [`execve`].
pub fn execv(path: &str, argv: &[&str]) -> Result<Infallible, Errno> {
    let environment = environment();
    let envp: Vec<&str> = environment.iter().map(String::as_str).collect();
    execve(path, argv, &envp)
}

/// `execvp`: [`execvpe`] with this program's own environment.
///
/// # Errors
/// As [`execvpe`].
pub fn execvp(file: &str, argv: &[&str]) -> Result<Infallible, Errno> {
    let environment = environment();
    let envp: Vec<&str> = environment.iter().map(String::as_str).collect();
    execvpe(file, argv, &envp)
}

/// `execvpe`: [`execve`] of `file` found along `PATH` when it holds no `/` (`PATH` of this
/// program's environment, else `/bin:/usr/bin`). A candidate that is `ENOENT` or `ENOTDIR` is
/// passed over, one that is `EACCES` too but remembered; a file that is not an executable
/// (`ENOEXEC`) is run by `/bin/sh` as a script, as POSIX says.
///
/// # Errors
/// `EACCES` when some candidate was found but not executable, else `ENOENT`; any other error
/// of [`execve`] at once.
pub fn execvpe(file: &str, argv: &[&str], envp: &[&str]) -> Result<Infallible, Errno> {
    if file.is_empty() {
        return Err(Errno::ENOENT);
    }
    let own = environment();
    let own: Vec<&str> = own.iter().map(String::as_str).collect();
    let search = super::posix_spawn::search_path(&own);
    let mut denied = false;
    for candidate in super::posix_spawn::candidates(file, search) {
        match execve(&candidate, argv, envp) {
            Err(Errno::ENOENT | Errno::ENOTDIR) => {}
            Err(Errno::EACCES) => denied = true,
            Err(Errno::ENOEXEC) => {
                let mut words = alloc::vec!["sh", candidate.as_str()];
                words.extend(argv.iter().skip(1));
                return execve("/bin/sh", &words, envp);
            }
            other => return other,
        }
    }
    Err(if denied { Errno::EACCES } else { Errno::ENOENT })
}

fn execve_at_depth(
    path: &str,
    argv: &[&str],
    envp: &[&str],
    depth: usize,
    executed: &str,
) -> Result<Infallible, Errno> {
    if path.len() >= PATH_MAXIMUM || path.split('/').any(|part| part.len() > NAME_MAXIMUM) {
        return Err(Errno::ENAMETOOLONG);
    }
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let command = encode_words(argv)?;
    let environment = encode_words(envp)?;
    let (program, set_id) = load(path)?;
    let bytes = program.bytes();
    if bytes.starts_with(b"#!") {
        if depth >= INTERPRETER_DEPTH {
            return Err(Errno::ELOOP);
        }
        let (interpreter, argument) = interpreter_line(bytes)?;
        let mut words: Vec<&str> = alloc::vec![interpreter.as_str()];
        if let Some(argument) = &argument {
            words.push(argument);
        }
        words.push(path);
        words.extend(argv.iter().skip(1));
        drop(command);
        return execve_at_depth(&interpreter, &words, envp, depth + 1, executed);
    }
    execute_image_named(bytes, Some(executed), set_id, &command, &environment)
}

/// What `execve` would run for `path` and `argv`: the executable's bytes, the words it gets
/// (`#!` interpreters followed) and what its set-ID bits ask (for `posix_spawn`, which loads it
/// into a new process).
///
/// # Errors
/// As [`execve`], but `E2BIG` is left to the caller.
pub(super) fn resolve(
    path: &str,
    argv: &[&str],
) -> Result<(Program, Vec<String>, SetIdFile), Errno> {
    let mut path = String::from(path);
    let mut words: Vec<String> = argv.iter().map(|word| String::from(*word)).collect();
    for _ in 0..=INTERPRETER_DEPTH {
        if path.len() >= PATH_MAXIMUM || path.split('/').any(|part| part.len() > NAME_MAXIMUM) {
            return Err(Errno::ENAMETOOLONG);
        }
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        let (program, set_id) = load(&path)?;
        if !program.bytes().starts_with(b"#!") {
            return Ok((program, words, set_id));
        }
        let (interpreter, argument) = interpreter_line(program.bytes())?;
        let mut next = alloc::vec![interpreter.clone()];
        next.extend(argument);
        next.push(path);
        next.extend(words.into_iter().skip(1));
        words = next;
        path = interpreter;
    }
    Err(Errno::ELOOP)
}

/// A `#!` line's interpreter and its one optional argument (the rest of the line, trimmed).
///
/// # Errors
/// `ENOEXEC` when the line names no interpreter or is not text.
fn interpreter_line(bytes: &[u8]) -> Result<(String, Option<String>), Errno> {
    let line = &bytes[2..bytes.len().min(INTERPRETER_LINE_MAXIMUM)];
    let line = line.split(|&byte| byte == b'\n').next().unwrap_or_default();
    let line = core::str::from_utf8(line).map_err(|_| Errno::ENOEXEC)?;
    let line = line.trim_matches(|character| character == ' ' || character == '\t');
    let (interpreter, rest) = line
        .split_once([' ', '\t'])
        .map_or((line, ""), |(first, rest)| (first, rest));
    if interpreter.is_empty() {
        return Err(Errno::ENOEXEC);
    }
    let rest = rest.trim_matches(|character| character == ' ' || character == '\t');
    Ok((
        String::from(interpreter),
        (!rest.is_empty()).then(|| String::from(rest)),
    ))
}

/// A program's bytes: straight from the initramfs, or read through the file server.
pub(super) enum Program {
    Archive(&'static [u8]),
    Read(Vec<u8>),
}

impl Program {
    /// The executable's bytes.
    pub(super) fn bytes(&self) -> &[u8] {
        match self {
            Self::Archive(bytes) => bytes,
            Self::Read(bytes) => bytes,
        }
    }
}

fn has_file_server() -> bool {
    call(Call::CapabilityIdentify {
        slot: crate::well_known_slots::FILE_SERVER,
    })
    .is_ok()
}

/// What a file's set-user-id and set-group-id bits ask of `execve`, in `EXECUTED`'s words: the
/// flags for word 0 and `owner | group << 32` for word 2.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct SetIdFile {
    flags: u64,
    owner_and_group: u64,
}

impl SetIdFile {
    /// The request of a file of `mode` owned by `owner` and `group`: `S_ISUID` asks for the
    /// owner, `S_ISGID` with group execute for the group (without group execute Linux reads
    /// the bit as mandatory locking).
    fn of(mode: u32, owner: u32, group: u32) -> Self {
        use libposix_sys::mode::{S_ISGID, S_ISUID, S_IXGRP};
        let mut flags = 0;
        if mode & S_ISUID != 0 {
            flags |= super::protocol::EXEC_SET_USER_ID;
        }
        if mode & (S_ISGID | S_IXGRP) == S_ISGID | S_IXGRP {
            flags |= super::protocol::EXEC_SET_GROUP_ID;
        }
        Self {
            flags,
            owner_and_group: u64::from(owner) | u64::from(group) << 32,
        }
    }

    /// `EXECUTED`'s word-0 flags.
    pub(super) fn flags(self) -> u64 {
        self.flags
    }

    /// `EXECUTED`'s word 2.
    pub(super) fn owner_and_group(self) -> u64 {
        self.owner_and_group
    }
}

/// Finds and checks the file at `path`, with what its set-ID bits ask. A file of the initramfs
/// unchanged in size is taken from its pages rather than read through the server.
fn load(path: &str) -> Result<(Program, SetIdFile), Errno> {
    use libposix_sys::mode::{S_IFMT, S_IFREG};
    if !has_file_server() {
        let archive = initramfs().map_err(|_| Errno::ENOENT)?;
        return find_program(archive, path)
            .map(|image| (Program::Archive(image), SetIdFile::default()))
            .map_err(|_| Errno::ENOENT);
    }
    let status = crate::fs::stat(path)?;
    // Linux: only a regular file with some execute bit runs, for root too.
    if status.st_mode & S_IFMT != S_IFREG || status.st_mode & 0o111 == 0 {
        return Err(Errno::EACCES);
    }
    crate::fs::access(path, 1)?;
    let set_id = SetIdFile::of(status.st_mode, status.st_uid, status.st_gid);
    if path.starts_with('/')
        && let Some(image) = initramfs()
            .ok()
            .and_then(|archive| find_program(archive, path).ok())
            .filter(|image| image.len() as i64 == status.st_size)
    {
        return Ok((Program::Archive(image), set_id));
    }
    let size = usize::try_from(status.st_size).unwrap_or(usize::MAX);
    if size > PROGRAM_MAXIMUM {
        return Err(Errno::ENOMEM);
    }
    let fd = crate::fs::open(
        path,
        libposix_sys::fcntl::O_RDONLY | libposix_sys::fcntl::O_CLOEXEC,
        0,
    )?;
    let mut bytes = alloc::vec![0u8; size];
    let mut done = 0;
    let result = loop {
        if done == bytes.len() {
            break Ok(());
        }
        match crate::io::read(fd, &mut bytes[done..]) {
            Ok(0) => break Ok(()),
            Ok(count) => done += count,
            Err(error) => break Err(error),
        }
    };
    let _ = crate::io::close(fd);
    result?;
    bytes.truncate(done);
    Ok((Program::Read(bytes), set_id))
}

/// Replaces this process's program with the executable `image` (the rest of [`execve`], also
/// used by the conformance checks to hand it corrupt images that no path names). `command`
/// and `environment` are already encoded.
///
/// # Errors
/// `ENOEXEC`, `E2BIG`, `ENOMEM`, as [`execve`].
pub fn execute_image(image: &[u8], command: &str, environment: &str) -> Result<Infallible, Errno> {
    execute_image_named(image, None, SetIdFile::default(), command, environment)
}

/// As [`execute_image`]; the process is named after `executed` (the file `execve` was given,
/// a script's own name rather than its interpreter's, as on Linux) or else `command`'s first
/// word.
fn execute_image_named(
    image: &[u8],
    executed: Option<&str>,
    set_id: SetIdFile,
    command: &str,
    environment: &str,
) -> Result<Infallible, Errno> {
    if command.len() > MAXIMUM_COMMAND_BYTES || environment.len() > MAXIMUM_COMMAND_BYTES {
        return Err(Errno::E2BIG);
    }
    let elf = parse_executable(image).map_err(|_| Errno::ENOEXEC)?;
    // The descriptors without FD_CLOEXEC, for the new image's start-up to take over.
    let handover = crate::io::inheritance::prepare(crate::io::inheritance::Receiver::NextImage)?;
    let result = build_and_switch(image, &elf, executed, set_id, command, environment);
    if let Some(handover) = handover {
        handover.release();
    }
    result
}

fn build_and_switch(
    image: &[u8],
    elf: &goblin::elf::Elf<'_>,
    executed: Option<&str>,
    set_id: SetIdFile,
    command: &str,
    environment: &str,
) -> Result<Infallible, Errno> {
    let address_space = slots::allocate().ok_or(Errno::ENOMEM)?;
    if call(Call::AddressSpaceCreate {
        quota: initial::MEMORY_QUOTA,
        destination: address_space,
    })
    .is_err()
    {
        slots::free(address_space);
        return Err(Errno::ENOMEM);
    }
    let mut frames = Vec::new();
    let built = build_image(
        initial::MEMORY_QUOTA,
        address_space,
        elf,
        image,
        command.as_bytes(),
        environment.as_bytes(),
        &mut frames,
    );
    let image_slots = (initial::FIRST_FREE_SLOT.0 - initial::FIRST_IMAGE_SLOT.0) as usize;
    let result = match built {
        Ok(_) if frames.len() > image_slots => Err(Errno::ENOEXEC),
        Ok(mut registers) => {
            registers.rcx = u64::from(initial::FIRST_FREE_SLOT.0);
            registers.r8 = space_end();
            // Caught signals go back to their default action with the old image's handlers;
            // ignored ones and the mask stay (they are in the signal page, kept at its slot).
            let signals = crate::signal::page::reset_for_exec();
            // What `/proc` and `ps` show from now on (a failed switch leaves it said: the
            // failure is a lack of memory that leaves little to run anyway).
            let server = super::identity::PROCESS_SERVER;
            match executed {
                Some(path) => super::listing::describe_command_named(server, path, command),
                None => super::listing::describe_command(server, command),
            }
            let result = switch(address_space, &frames, &registers, set_id);
            crate::signal::page::restore_after_failed_exec(signals);
            result
        }
        Err(SpawnError::NotExecutable | SpawnError::NotFound) => Err(Errno::ENOEXEC),
        Err(SpawnError::Kernel(_)) => Err(Errno::ENOMEM),
    };
    // Only a failed switch gets here: give back what the new image had.
    release(&frames, address_space);
    result
}

/// Gives back the frames and address space of a new image that will not run.
fn release(frames: &[Slot], address_space: Slot) {
    for &frame in frames {
        let _ = call(Call::CapabilityDelete { slot: frame });
        slots::free(frame);
    }
    let _ = call(Call::CapabilityDelete {
        slot: address_space,
    });
    slots::free(address_space);
}

/// The end of our capability space: a spawned program's 4096 slots or a forked one's 512.
fn space_end() -> u64 {
    let last = Slot((initial::SLOT_COUNT - 1) as u32);
    match call(Call::CapabilityIdentify { slot: last }) {
        Err(KernelError::InvalidSlot) => FORKED_SLOT_COUNT,
        _ => initial::SLOT_COUNT,
    }
}

/// Moves the old image out of slots 1 and 16–63, the new one in, and swaps: the main
/// environment's image, also when the caller is another thread, which then hands over to it.
/// Every other thread of the process ends first (`exec_threads`); until then every move is
/// undone if the swap fails, after it a failure ends the process.
fn switch(
    address_space: Slot,
    frames: &[Slot],
    registers: &exokernel_abi::RegisterSet,
    set_id: SetIdFile,
) -> Result<Infallible, Errno> {
    let caller = exec_threads::caller();
    // Whatever takes a lock or the heap comes first: a thread stopped below may hold one of
    // this LibOS's locks, so from there on only kernel calls and IPC follow.
    let occupied: Vec<Slot> = (initial::FIRST_IMAGE_SLOT.0..initial::FIRST_FREE_SLOT.0)
        .map(Slot)
        .filter(|&slot| call(Call::CapabilityIdentify { slot }).is_ok())
        .chain(core::iter::once(initial::SELF_ADDRESS_SPACE))
        .collect();
    let mut spare: Vec<Slot> = Vec::with_capacity(occupied.len());
    for _ in &occupied {
        let Some(slot) = slots::allocate() else {
            spare.into_iter().for_each(slots::free);
            return Err(Errno::ENOMEM);
        };
        spare.push(slot);
    }
    // (from, to) of every move made, for undoing them.
    let mut moves: Vec<(Slot, Slot)> = Vec::with_capacity(occupied.len() + frames.len() + 1);
    let mut threads = exec_threads::Others::find(caller, set_id);
    // System V attachments go with the old image.
    crate::memory::system_v::before_image_ends();
    if let Err(error) = threads.end() {
        crate::memory::system_v::image_kept();
        spare.into_iter().for_each(slots::free);
        return Err(error);
    }
    let result = (|| {
        for (&from, &to) in occupied.iter().zip(&spare) {
            call(Call::CapabilityMove {
                source: from,
                destination: to,
            })
            .map_err(|_| Errno::ENOMEM)?;
            moves.push((from, to));
        }
        let destinations = (initial::FIRST_IMAGE_SLOT.0..).map(Slot);
        for (&frame, destination) in frames
            .iter()
            .chain(core::iter::once(&address_space))
            .zip(destinations)
        {
            let destination = if frame == address_space {
                initial::SELF_ADDRESS_SPACE
            } else {
                destination
            };
            call(Call::CapabilityMove {
                source: frame,
                destination,
            })
            .map_err(|_| Errno::ENOMEM)?;
            moves.push((frame, destination));
        }
        let replaced = call(Call::EnvironmentReplaceImage {
            environment: initial::SELF_ENVIRONMENT,
            address_space: initial::SELF_ADDRESS_SPACE,
            registers: UserAddress(core::ptr::from_ref(registers) as u64),
        });
        if replaced.is_ok() && caller == Caller::OtherThread {
            // The stopped main environment holds the new image: it starts, this thread ends.
            exec_threads::hand_over();
        }
        replaced.map_err(|_| Errno::ENOMEM)?;
        // Not reached: the call does not return to this image when it succeeds.
        Err(Errno::ENOMEM)
    })();
    if threads.past_no_return() {
        exec_threads::failed_past_no_return();
    }
    crate::memory::system_v::image_kept();
    for (from, to) in moves.into_iter().rev() {
        let _ = call(Call::CapabilityMove {
            source: to,
            destination: from,
        });
    }
    spare.into_iter().for_each(slots::free);
    result
}
