//! The file utilities: ls, mkdir, rmdir, rm, mv, cp, ln, touch, chmod, chown, stat, pwd, on
//! the LibOS's file calls. A call the system does not have yet is reported as
//! `Function not implemented` with status 1, never pretended.

use alloc::string::String;
use alloc::vec::Vec;

use libos::io::{close, read};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{O_CREAT, O_DIRECTORY, O_EXCL, O_RDONLY, O_TRUNC, O_WRONLY};
use libposix_sys::stat::Stat;
use utility_logic::calendar::listing_time;
use utility_logic::listing::{LongEntry, Widths, is_hidden, long_line, mode_string};
use utility_logic::names::last_component;

use crate::streams::{complain, error_line, finish, options, out_str};

const S_IFMT: u32 = 0o170_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFLNK: u32 = 0o120_000;

fn is_directory(status: &Stat) -> bool {
    status.st_mode & S_IFMT == S_IFDIR
}

/// `path/name` without doubling a slash.
fn join(path: &str, name: &str) -> String {
    if path.ends_with('/') {
        alloc::format!("{path}{name}")
    } else {
        alloc::format!("{path}/{name}")
    }
}

/// The names in directory `path` (without `.` and `..`), sorted by bytes.
fn directory_names(path: &str) -> Result<Vec<String>, Errno> {
    let fd = libos::fs::open(path, O_RDONLY | O_DIRECTORY, 0)?;
    let mut names = Vec::new();
    let mut buffer = [0u8; 4096];
    let result = loop {
        let length = match libos::fs::getdents64(fd, &mut buffer) {
            Ok(0) => break Ok(()),
            Ok(length) => length,
            Err(error) => break Err(error),
        };
        let mut offset = 0;
        while offset < length {
            let Some((entry, name)) = libposix_sys::dirent::decode(&buffer[offset..length]) else {
                break;
            };
            offset += usize::from(entry.d_reclen).max(1);
            let name = String::from_utf8_lossy(name).into_owned();
            if name != "." && name != ".." {
                names.push(name);
            }
        }
    };
    let _ = close(fd);
    result?;
    names.sort_unstable_by(|left, right| left.as_bytes().cmp(right.as_bytes()));
    Ok(names)
}

/// The current time for `ls -l`'s recent/old choice (0 when the clock is unavailable).
fn now() -> i64 {
    libos::time::clock_gettime(libposix_sys::clock::CLOCK_REALTIME).map_or(0, |time| time.tv_sec)
}

struct ListOptions {
    all: bool,
    long: bool,
    directory: bool,
    recursive: bool,
    now: i64,
}

/// One name of a listing, with its status when `-l` needs it.
struct Listed {
    name: String,
    path: String,
    status: Option<Stat>,
}

fn print_listing(entries: &[Listed], options: &ListOptions) {
    if !options.long {
        for entry in entries {
            out_str(&entry.name);
            out_str("\n");
        }
        return;
    }
    let texts: Vec<(String, String, String, String)> = entries
        .iter()
        .map(|entry| {
            let status = entry.status.unwrap_or_default();
            let mut name = entry.name.clone();
            if status.st_mode & S_IFMT == S_IFLNK {
                let mut buffer = [0u8; 4096];
                if let Ok(length) = libos::fs::readlink(&entry.path, &mut buffer) {
                    name.push_str(" -> ");
                    name.push_str(&String::from_utf8_lossy(&buffer[..length]));
                }
            }
            (
                alloc::format!("{}", status.st_uid),
                alloc::format!("{}", status.st_gid),
                listing_time(status.st_mtime, options.now),
                name,
            )
        })
        .collect();
    let mut widths = Widths::default();
    let long_entries: Vec<LongEntry<'_>> = entries
        .iter()
        .zip(&texts)
        .map(|(entry, (owner, group, time, name))| {
            let status = entry.status.unwrap_or_default();
            LongEntry {
                mode: status.st_mode,
                links: status.st_nlink,
                owner,
                group,
                size: u64::try_from(status.st_size).unwrap_or(0),
                time,
                name,
            }
        })
        .collect();
    for entry in &long_entries {
        widths.fit(entry);
    }
    for entry in &long_entries {
        out_str(&long_line(entry, &widths));
    }
}

/// Lists directory `path`'s contents (and, with `-R`, its subdirectories'); false on an error.
fn list_directory(path: &str, options: &ListOptions, header: bool, first: &mut bool) -> bool {
    let mut names = match directory_names(path) {
        Ok(names) => names,
        Err(error) => {
            complain("ls", path, error);
            return false;
        }
    };
    if options.all {
        names.insert(0, String::from(".."));
        names.insert(0, String::from("."));
    } else {
        names.retain(|name| !is_hidden(name));
    }
    let entries: Vec<Listed> = names
        .into_iter()
        .map(|name| {
            let full = join(path, &name);
            let status = if options.long || options.recursive {
                libos::fs::lstat(&full).ok()
            } else {
                None
            };
            Listed {
                name,
                path: full,
                status,
            }
        })
        .collect();
    if header {
        if !*first {
            out_str("\n");
        }
        out_str(&alloc::format!("{path}:\n"));
    }
    *first = false;
    if options.long {
        let blocks: i64 = entries
            .iter()
            .filter_map(|entry| entry.status.map(|status| status.st_blocks))
            .sum();
        out_str(&alloc::format!("total {}\n", blocks / 2));
    }
    print_listing(&entries, options);
    let mut ok = true;
    if options.recursive {
        for entry in &entries {
            if entry.name == "." || entry.name == ".." {
                continue;
            }
            if entry.status.is_some_and(|status| is_directory(&status)) {
                ok &= list_directory(&entry.path, options, true, first);
            }
        }
    }
    ok
}

/// `ls [-adlR1] [FILE]...`
pub fn ls(operands: &[String]) -> i32 {
    let parsed = match options("ls", operands, "adlR1", "", "ls [-adlR1] [FILE]...") {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let options = ListOptions {
        all: parsed.has('a'),
        long: parsed.has('l'),
        directory: parsed.has('d'),
        recursive: parsed.has('R'),
        now: now(),
    };
    let mut operands = parsed.operands.clone();
    if operands.is_empty() {
        operands.push(String::from("."));
    }
    operands.sort_unstable_by(|left, right| left.as_bytes().cmp(right.as_bytes()));
    let mut status = 0;
    let mut files = Vec::new();
    let mut directories = Vec::new();
    for operand in &operands {
        let found = if options.long || options.directory {
            libos::fs::lstat(operand)
        } else {
            libos::fs::stat(operand)
        };
        // `ls -l` of a link to a directory lists the link; otherwise its directory.
        let found = match found {
            Ok(found) if found.st_mode & S_IFMT == S_IFLNK && !options.directory => {
                match libos::fs::stat(operand) {
                    Ok(target) if is_directory(&target) && !options.long => Ok(target),
                    _ => Ok(found),
                }
            }
            other => other,
        };
        match found {
            Err(error) => {
                error_line(&alloc::format!("ls: cannot access '{operand}': {error}"));
                status = 2;
            }
            Ok(found) if is_directory(&found) && !options.directory => {
                directories.push(operand.clone())
            }
            Ok(found) => files.push(Listed {
                name: operand.clone(),
                path: operand.clone(),
                status: Some(found),
            }),
        }
    }
    print_listing(&files, &options);
    let header = operands.len() > 1 || options.recursive;
    let mut first = files.is_empty();
    for directory in &directories {
        if !list_directory(directory, &options, header, &mut first) {
            status = status.max(1);
        }
    }
    finish(status)
}

/// Parses an octal `-m` mode for mkdir.
fn parse_creation_mode(name: &str, text: Option<&str>, default: u32) -> Result<u32, i32> {
    let Some(text) = text else {
        return Ok(default);
    };
    match utility_logic::mode::parse_mode(text) {
        Ok(change) => Ok(change.apply(0o777, true, 0)),
        Err(_) => {
            error_line(&alloc::format!("{name}: invalid mode '{text}'"));
            Err(2)
        }
    }
}

/// `mkdir [-p] [-m MODE] DIR...`
pub fn mkdir(operands: &[String]) -> i32 {
    let parsed = match options("mkdir", operands, "p", "m", "mkdir [-p] [-m MODE] DIR...") {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let mode = match parse_creation_mode("mkdir", parsed.value('m'), 0o777) {
        Ok(mode) => mode,
        Err(status) => return status,
    };
    if parsed.operands.is_empty() {
        error_line("mkdir: missing operand\nusage: mkdir [-p] [-m MODE] DIR...");
        return 2;
    }
    let mut status = 0;
    for operand in &parsed.operands {
        if parsed.has('p') {
            // Every missing ancestor, then the directory itself.
            let mut prefix = String::new();
            let absolute = operand.starts_with('/');
            let parts: Vec<&str> = operand.split('/').filter(|part| !part.is_empty()).collect();
            for (index, part) in parts.iter().enumerate() {
                if absolute || !prefix.is_empty() {
                    prefix.push('/');
                }
                prefix.push_str(part);
                let last = index + 1 == parts.len();
                match libos::fs::mkdir(&prefix, if last { mode } else { 0o777 }) {
                    Ok(()) => {}
                    Err(Errno::EEXIST) => match libos::fs::stat(&prefix) {
                        Ok(found) if is_directory(&found) => {}
                        _ => {
                            complain("mkdir", &prefix, Errno::EEXIST);
                            status = 1;
                            break;
                        }
                    },
                    Err(error) => {
                        complain("mkdir", &prefix, error);
                        status = 1;
                        break;
                    }
                }
            }
        } else if let Err(error) = libos::fs::mkdir(operand, mode) {
            error_line(&alloc::format!(
                "mkdir: cannot create directory '{operand}': {error}"
            ));
            status = 1;
        }
    }
    finish(status)
}

/// `rmdir [-p] DIR...`
pub fn rmdir(operands: &[String]) -> i32 {
    let parsed = match options("rmdir", operands, "p", "", "rmdir [-p] DIR...") {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    if parsed.operands.is_empty() {
        error_line("rmdir: missing operand\nusage: rmdir [-p] DIR...");
        return 2;
    }
    let mut status = 0;
    for operand in &parsed.operands {
        let mut path = operand.trim_end_matches('/').to_string_lossless();
        loop {
            if let Err(error) = libos::fs::rmdir(&path) {
                error_line(&alloc::format!("rmdir: failed to remove '{path}': {error}"));
                status = 1;
                break;
            }
            if !parsed.has('p') {
                break;
            }
            let parent = utility_logic::names::dirname(&path);
            if parent == "." || parent == "/" || parent == path {
                break;
            }
            path = parent;
        }
    }
    finish(status)
}

trait Lossless {
    fn to_string_lossless(&self) -> String;
}

impl Lossless for str {
    fn to_string_lossless(&self) -> String {
        if self.is_empty() {
            String::from("/")
        } else {
            String::from(self)
        }
    }
}

/// Removes `path`, recursively for a directory when `recursive`; false on an error.
fn remove(path: &str, recursive: bool, force: bool) -> bool {
    let found = match libos::fs::lstat(path) {
        Ok(found) => found,
        Err(Errno::ENOENT) if force => return true,
        Err(error) => {
            error_line(&alloc::format!("rm: cannot remove '{path}': {error}"));
            return false;
        }
    };
    if is_directory(&found) {
        if !recursive {
            error_line(&alloc::format!(
                "rm: cannot remove '{path}': Is a directory"
            ));
            return false;
        }
        let names = match directory_names(path) {
            Ok(names) => names,
            Err(error) => {
                error_line(&alloc::format!("rm: cannot remove '{path}': {error}"));
                return false;
            }
        };
        let mut ok = true;
        for name in names {
            ok &= remove(&join(path, &name), true, force);
        }
        if !ok {
            return false;
        }
        if let Err(error) = libos::fs::rmdir(path) {
            error_line(&alloc::format!("rm: cannot remove '{path}': {error}"));
            return false;
        }
        return true;
    }
    if let Err(error) = libos::fs::unlink(path) {
        error_line(&alloc::format!("rm: cannot remove '{path}': {error}"));
        return false;
    }
    true
}

/// `rm [-fRr] FILE...`
pub fn rm(operands: &[String]) -> i32 {
    let parsed = match options("rm", operands, "fiRr", "", "rm [-fiRr] FILE...") {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let force = parsed.has('f');
    if parsed.operands.is_empty() && !force {
        error_line("rm: missing operand\nusage: rm [-fiRr] FILE...");
        return 2;
    }
    let recursive = parsed.has('r') || parsed.has('R');
    let mut status = 0;
    for operand in &parsed.operands {
        let base = last_component(operand);
        if recursive && (base == "." || base == "..") {
            error_line(&alloc::format!(
                "rm: refusing to remove '.' or '..' directory: skipping '{operand}'"
            ));
            status = 1;
            continue;
        }
        if !remove(operand, recursive, force) {
            status = 1;
        }
    }
    finish(status)
}

/// Copies the regular file `source` (with `status`) to `destination`; false on an error.
fn copy_file(name: &str, source: &str, status: &Stat, destination: &str) -> bool {
    let input = match libos::fs::open(source, O_RDONLY, 0) {
        Ok(fd) => fd,
        Err(error) => {
            complain(name, source, error);
            return false;
        }
    };
    let output = match libos::fs::open(
        destination,
        O_WRONLY | O_CREAT | O_TRUNC,
        status.st_mode & 0o777,
    ) {
        Ok(fd) => fd,
        Err(error) => {
            let _ = close(input);
            error_line(&alloc::format!(
                "{name}: cannot create regular file '{destination}': {error}"
            ));
            return false;
        }
    };
    let mut buffer = [0u8; 4096];
    let mut ok = true;
    loop {
        match read(input, &mut buffer) {
            Ok(0) => break,
            Ok(length) => {
                if let Err(error) = crate::streams::write_fd(output, &buffer[..length]) {
                    complain(name, destination, error);
                    ok = false;
                    break;
                }
            }
            Err(error) => {
                complain(name, source, error);
                ok = false;
                break;
            }
        }
    }
    let _ = close(input);
    let _ = close(output);
    ok
}

/// Copies `source` to `destination`, directories recursively when `recursive`.
fn copy(source: &str, destination: &str, recursive: bool) -> bool {
    let status = match libos::fs::stat(source) {
        Ok(status) => status,
        Err(error) => {
            error_line(&alloc::format!("cp: cannot stat '{source}': {error}"));
            return false;
        }
    };
    if !is_directory(&status) {
        return copy_file("cp", source, &status, destination);
    }
    if !recursive {
        error_line(&alloc::format!(
            "cp: -r not specified; omitting directory '{source}'"
        ));
        return false;
    }
    match libos::fs::mkdir(destination, status.st_mode & 0o777 | 0o700) {
        Ok(()) | Err(Errno::EEXIST) => {}
        Err(error) => {
            error_line(&alloc::format!(
                "cp: cannot create directory '{destination}': {error}"
            ));
            return false;
        }
    }
    let names = match directory_names(source) {
        Ok(names) => names,
        Err(error) => {
            complain("cp", source, error);
            return false;
        }
    };
    let mut ok = true;
    for name in names {
        ok &= copy(&join(source, &name), &join(destination, &name), true);
    }
    ok
}

/// The destinations of a cp/mv/ln: `TARGET` itself, or `DIRECTORY/NAME` for each source.
fn destinations(name: &str, operands: &[String]) -> Result<Vec<(String, String)>, i32> {
    if operands.len() < 2 {
        error_line(&alloc::format!("{name}: missing destination file operand"));
        return Err(2);
    }
    let (sources, target) = operands.split_at(operands.len() - 1);
    let target = &target[0];
    let target_is_directory = libos::fs::stat(target).is_ok_and(|status| is_directory(&status));
    if sources.len() > 1 && !target_is_directory {
        error_line(&alloc::format!(
            "{name}: target '{target}' is not a directory"
        ));
        return Err(1);
    }
    Ok(sources
        .iter()
        .map(|source| {
            let destination = if target_is_directory {
                join(target, &last_component(source))
            } else {
                target.clone()
            };
            (source.clone(), destination)
        })
        .collect())
}

/// `cp [-Rr] SOURCE... TARGET`
pub fn cp(operands: &[String]) -> i32 {
    let parsed = match options("cp", operands, "RrfpP", "", "cp [-Rr] SOURCE... TARGET") {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let pairs = match destinations("cp", &parsed.operands) {
        Ok(pairs) => pairs,
        Err(status) => return status,
    };
    let recursive = parsed.has('r') || parsed.has('R');
    let mut status = 0;
    for (source, destination) in pairs {
        if !copy(&source, &destination, recursive) {
            status = 1;
        }
    }
    finish(status)
}

/// `mv SOURCE... TARGET`: a new name and the old one removed (`link` then `unlink`, as there is
/// no `rename` yet): regular files and links only; a directory is `Function not implemented`.
pub fn mv(operands: &[String]) -> i32 {
    let parsed = match options("mv", operands, "fi", "", "mv [-fi] SOURCE... TARGET") {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let pairs = match destinations("mv", &parsed.operands) {
        Ok(pairs) => pairs,
        Err(status) => return status,
    };
    let mut status = 0;
    for (source, destination) in pairs {
        let found = match libos::fs::lstat(&source) {
            Ok(found) => found,
            Err(error) => {
                error_line(&alloc::format!("mv: cannot stat '{source}': {error}"));
                status = 1;
                continue;
            }
        };
        if is_directory(&found) {
            error_line(&alloc::format!(
                "mv: cannot move '{source}' to '{destination}': {}",
                Errno::ENOSYS
            ));
            status = 1;
            continue;
        }
        if let Ok(existing) = libos::fs::lstat(&destination) {
            if existing.st_ino == found.st_ino {
                continue;
            }
            if is_directory(&existing) {
                error_line(&alloc::format!(
                    "mv: cannot overwrite directory '{destination}' with non-directory"
                ));
                status = 1;
                continue;
            }
            if let Err(error) = libos::fs::unlink(&destination) {
                error_line(&alloc::format!(
                    "mv: cannot move '{source}' to '{destination}': {error}"
                ));
                status = 1;
                continue;
            }
        }
        let moved =
            libos::fs::link(&source, &destination).and_then(|()| libos::fs::unlink(&source));
        if let Err(error) = moved {
            error_line(&alloc::format!(
                "mv: cannot move '{source}' to '{destination}': {error}"
            ));
            status = 1;
        }
    }
    finish(status)
}

/// `ln [-fs] SOURCE... TARGET`
pub fn ln(operands: &[String]) -> i32 {
    let parsed = match options("ln", operands, "fsLP", "", "ln [-fs] SOURCE... TARGET") {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let pairs = match destinations("ln", &parsed.operands) {
        Ok(pairs) => pairs,
        Err(status) => return status,
    };
    let mut status = 0;
    for (source, destination) in pairs {
        if parsed.has('f') {
            match libos::fs::lstat(&destination) {
                Ok(existing) if !is_directory(&existing) => {
                    let _ = libos::fs::unlink(&destination);
                }
                _ => {}
            }
        }
        let made = if parsed.has('s') {
            libos::fs::symlink(&source, &destination)
        } else {
            libos::fs::link(&source, &destination)
        };
        if let Err(error) = made {
            let kind = if parsed.has('s') {
                "symbolic link"
            } else {
                "hard link"
            };
            error_line(&alloc::format!(
                "ln: failed to create {kind} '{destination}': {error}"
            ));
            status = 1;
        }
    }
    finish(status)
}

/// `touch [-c] FILE...`: creates missing files; changing an existing file's times needs
/// `utimensat`, which the file server does not have yet (`Function not implemented`).
pub fn touch(operands: &[String]) -> i32 {
    let parsed = match options("touch", operands, "acm", "dtr", "touch [-acm] FILE...") {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    if parsed.operands.is_empty() {
        error_line("touch: missing file operand\nusage: touch [-acm] FILE...");
        return 2;
    }
    let mut status = 0;
    for operand in &parsed.operands {
        if libos::fs::stat(operand).is_ok() {
            error_line(&alloc::format!(
                "touch: setting times of '{operand}': {}",
                Errno::ENOSYS
            ));
            status = 1;
            continue;
        }
        if parsed.has('c') {
            continue;
        }
        match libos::fs::open(operand, O_WRONLY | O_CREAT | O_EXCL, 0o666) {
            Ok(fd) => {
                let _ = close(fd);
            }
            Err(error) => {
                error_line(&alloc::format!("touch: cannot touch '{operand}': {error}"));
                status = 1;
            }
        }
    }
    finish(status)
}

fn change_mode(
    path: &str,
    change: &utility_logic::mode::ModeChange,
    umask: u32,
    recursive: bool,
) -> bool {
    let found = match libos::fs::stat(path) {
        Ok(found) => found,
        Err(error) => {
            error_line(&alloc::format!("chmod: cannot access '{path}': {error}"));
            return false;
        }
    };
    let mode = change.apply(found.st_mode, is_directory(&found), umask);
    let mut ok = true;
    if let Err(error) = libos::fs::chmod(path, mode) {
        error_line(&alloc::format!(
            "chmod: changing permissions of '{path}': {error}"
        ));
        ok = false;
    }
    if recursive && is_directory(&found) {
        match directory_names(path) {
            Ok(names) => {
                for name in names {
                    ok &= change_mode(&join(path, &name), change, umask, true);
                }
            }
            Err(error) => {
                complain("chmod", path, error);
                ok = false;
            }
        }
    }
    ok
}

/// `chmod [-R] MODE FILE...`
pub fn chmod(operands: &[String]) -> i32 {
    let parsed = match options("chmod", operands, "R", "", "chmod [-R] MODE FILE...") {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let [mode_text, files @ ..] = parsed.operands.as_slice() else {
        error_line("chmod: missing operand\nusage: chmod [-R] MODE FILE...");
        return 2;
    };
    if files.is_empty() {
        error_line(&alloc::format!(
            "chmod: missing operand after '{mode_text}'"
        ));
        return 2;
    }
    let Ok(change) = utility_logic::mode::parse_mode(mode_text) else {
        error_line(&alloc::format!("chmod: invalid mode: '{mode_text}'"));
        return 2;
    };
    let umask = libos::fs::umask(0);
    libos::fs::umask(umask);
    let mut status = 0;
    for file in files {
        if !change_mode(file, &change, umask, parsed.has('R')) {
            status = 1;
        }
    }
    finish(status)
}

/// `chown OWNER[:GROUP] FILE...`: the file server has no `chown` yet.
pub fn chown(operands: &[String]) -> i32 {
    let parsed = match options(
        "chown",
        operands,
        "RhHLP",
        "",
        "chown [-R] OWNER[:GROUP] FILE...",
    ) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let [owner, files @ ..] = parsed.operands.as_slice() else {
        error_line("chown: missing operand\nusage: chown [-R] OWNER[:GROUP] FILE...");
        return 2;
    };
    if files.is_empty() {
        error_line(&alloc::format!("chown: missing operand after '{owner}'"));
        return 2;
    }
    for file in files {
        error_line(&alloc::format!(
            "chown: changing ownership of '{file}': {}",
            Errno::ENOSYS
        ));
    }
    1
}

fn file_type(mode: u32) -> &'static str {
    match mode & S_IFMT {
        S_IFDIR => "directory",
        S_IFLNK => "symbolic link",
        0o100_000 => "regular file",
        0o020_000 => "character special file",
        0o060_000 => "block special file",
        0o010_000 => "fifo",
        0o140_000 => "socket",
        _ => "unknown",
    }
}

/// `stat [-L] FILE...`
pub fn stat(operands: &[String]) -> i32 {
    let parsed = match options("stat", operands, "L", "", "stat [-L] FILE...") {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    if parsed.operands.is_empty() {
        error_line("stat: missing operand\nusage: stat [-L] FILE...");
        return 2;
    }
    let mut status = 0;
    for operand in &parsed.operands {
        let found = if parsed.has('L') {
            libos::fs::stat(operand)
        } else {
            libos::fs::lstat(operand)
        };
        let found = match found {
            Ok(found) => found,
            Err(error) => {
                error_line(&alloc::format!("stat: cannot stat '{operand}': {error}"));
                status = 1;
                continue;
            }
        };
        let time =
            |seconds: i64| utility_logic::calendar::format_date("%Y-%m-%d %H:%M:%S +0000", seconds);
        out_str(&alloc::format!(
            "  File: {operand}\n  Size: {}\tBlocks: {}\tIO Block: {}\t{}\nDevice: {}\tInode: {}\tLinks: {}\nAccess: ({:04o}/{})  Uid: {}\tGid: {}\nAccess: {}\nModify: {}\nChange: {}\n",
            found.st_size,
            found.st_blocks,
            found.st_blksize,
            file_type(found.st_mode),
            found.st_dev,
            found.st_ino,
            found.st_nlink,
            found.st_mode & 0o7777,
            mode_string(found.st_mode),
            found.st_uid,
            found.st_gid,
            time(found.st_atime),
            time(found.st_mtime),
            time(found.st_ctime),
        ));
    }
    finish(status)
}

/// `pwd [-L|-P]`
pub fn pwd(operands: &[String]) -> i32 {
    if let Err(status) = options("pwd", operands, "LP", "", "pwd [-L|-P]") {
        return status;
    }
    match libos::fs::getcwd(4096) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            out_str(text.trim_end_matches('\0'));
            out_str("\n");
            finish(0)
        }
        Err(error) => {
            error_line(&alloc::format!("pwd: {error}"));
            1
        }
    }
}
