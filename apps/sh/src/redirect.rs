//! Redirections (POSIX XCU 2.7): opening files onto descriptors, duplicating and closing them,
//! and here-documents, either for good (in a child about to run a program) or saved and undone
//! afterwards (around a built-in, a function or a compound command run in the shell itself).

use alloc::string::String;
use alloc::vec::Vec;

use libos::io::{close, dup2, fcntl, pipe, write};
use libos::{fs, process::identity::getpid};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{
    F_DUPFD_CLOEXEC, F_GETPIPE_SZ, O_APPEND, O_CREAT, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY,
};
use shell_language::expansion::expand_to_string;
use shell_language::syntax::{Redirection, RedirectionKind};

use crate::complain;
use crate::shell::Shell;

/// The lowest descriptor the shell moves its own copies to, out of the way of scripts.
pub const FIRST_PRIVATE_FD: u64 = 10;

/// Descriptors replaced by redirections and how to put them back.
#[derive(Default)]
#[must_use = "the redirections stay in force until restored"]
pub struct Saved {
    /// Each changed descriptor with its saved copy (`None`: it was closed before).
    entries: Vec<(i32, Option<i32>)>,
}

impl Saved {
    /// Puts every changed descriptor back as it was, last change first.
    pub fn restore(self) {
        for (fd, copy) in self.entries.into_iter().rev() {
            match copy {
                Some(copy) => {
                    let _ = dup2(copy, fd);
                    let _ = close(copy);
                }
                None => {
                    let _ = close(fd);
                }
            }
        }
    }
}

/// Applies `redirections` in order; with `save`, remembers what they replaced. On a failure it
/// undoes what it did (when saving), says why, and answers `Err`.
#[allow(clippy::result_unit_err)]
pub fn apply(shell: &mut Shell, redirections: &[Redirection], save: bool) -> Result<Saved, ()> {
    let mut saved = Saved::default();
    for redirection in redirections {
        let fd = redirection.target_fd();
        if save && !saved.entries.iter().any(|&(changed, _)| changed == fd) {
            let copy = fcntl(fd, F_DUPFD_CLOEXEC, FIRST_PRIVATE_FD).ok();
            saved.entries.push((fd, copy.map(|copy| copy as i32)));
        }
        if let Err(message) = apply_one(shell, redirection, fd) {
            complain!("{message}");
            saved.restore();
            return Err(());
        }
    }
    Ok(saved)
}

fn describe(error: Errno) -> &'static str {
    error.description()
}

fn apply_one(shell: &mut Shell, redirection: &Redirection, fd: i32) -> Result<(), String> {
    let open_onto = |path: &str, flags: i32| -> Result<(), String> {
        let opened = fs::open(path, flags, 0o666)
            .map_err(|error| alloc::format!("{path}: {}", describe(error)))?;
        move_to(opened, fd).map_err(|error| alloc::format!("{fd}: {}", describe(error)))
    };
    let expand = |shell: &mut Shell, word| {
        expand_to_string(shell, word).map_err(|error| alloc::format!("{error}"))
    };
    match &redirection.kind {
        RedirectionKind::Input(word) => open_onto(&expand(shell, word)?, O_RDONLY),
        RedirectionKind::Output(word) | RedirectionKind::Clobber(word) => {
            open_onto(&expand(shell, word)?, O_WRONLY | O_CREAT | O_TRUNC)
        }
        RedirectionKind::Append(word) => {
            open_onto(&expand(shell, word)?, O_WRONLY | O_CREAT | O_APPEND)
        }
        RedirectionKind::ReadWrite(word) => open_onto(&expand(shell, word)?, O_RDWR | O_CREAT),
        RedirectionKind::DuplicateInput(word) | RedirectionKind::DuplicateOutput(word) => {
            let target = expand(shell, word)?;
            if target == "-" {
                let _ = close(fd);
                return Ok(());
            }
            let source: i32 = target
                .parse()
                .map_err(|_| alloc::format!("{target}: bad file descriptor"))?;
            if source != fd {
                dup2(source, fd)
                    .map_err(|error| alloc::format!("{source}: {}", describe(error)))?;
            }
            Ok(())
        }
        RedirectionKind::HereDocument(document) => {
            let document = document.borrow().clone();
            let body = if document.literal {
                document
                    .body
                    .as_plain_literal()
                    .map(String::from)
                    .unwrap_or_default()
            } else {
                expand(shell, &document.body)?
            };
            let reader = here_document(body.as_bytes())
                .map_err(|error| alloc::format!("here-document: {}", describe(error)))?;
            move_to(reader, fd).map_err(|error| alloc::format!("{fd}: {}", describe(error)))
        }
    }
}

/// Makes `opened` descriptor `fd` (closing `opened` when it is another).
fn move_to(opened: i32, fd: i32) -> Result<(), Errno> {
    if opened != fd {
        let moved = dup2(opened, fd);
        let _ = close(opened);
        moved?;
    }
    Ok(())
}

/// A descriptor to read `body` from: a pipe already holding it when it fits, else a temporary
/// file opened for reading and already unlinked.
fn here_document(body: &[u8]) -> Result<i32, Errno> {
    let [reader, writer] = pipe()?;
    let capacity = fcntl(writer, F_GETPIPE_SZ, 0).unwrap_or(0);
    if usize::try_from(capacity).is_ok_and(|capacity| body.len() <= capacity) {
        let written = crate::output::write_all(writer, body);
        let _ = close(writer);
        if written {
            return Ok(reader);
        }
        let _ = close(reader);
        return Err(Errno::EIO);
    }
    let _ = close(reader);
    let _ = close(writer);
    let path = alloc::format!("/tmp/.sh-here-document-{}", getpid().unwrap_or(0));
    let file = fs::open(&path, O_RDWR | O_CREAT | O_TRUNC, 0o600)?;
    let mut rest = body;
    while !rest.is_empty() {
        match write(file, rest) {
            Ok(count @ 1..) => rest = &rest[count..],
            _ => {
                let _ = close(file);
                let _ = fs::unlink(&path);
                return Err(Errno::EIO);
            }
        }
    }
    let _ = close(file);
    let reader = fs::open(&path, O_RDONLY, 0);
    let _ = fs::unlink(&path);
    reader
}
