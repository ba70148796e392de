//! The file utilities: ls, mkdir, rmdir, rm, mv, cp, ln, touch, chmod, chown, stat, pwd, on
//! the LibOS's file calls. A call the system does not have yet is reported as
//! `Function not implemented` with status 1, never pretended.

use alloc::string::String;
use alloc::vec::Vec;

use libos::io::{close, read};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{O_CREAT, O_DIRECTORY, O_RDONLY, O_TRUNC, O_WRONLY};
use libposix_sys::stat::Stat;
use utility_logic::calendar::listing_time;
use utility_logic::listing::{
    EntryFacts, ListOrder, LongEntry, Widths, compare_entries, indicator, is_hidden, long_line,
    mode_string, printable,
};
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
pub(crate) fn directory_names(path: &str) -> Result<Vec<String>, Errno> {
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
    /// `-a`: every name; `-A`: all but `.` and `..`.
    all: bool,
    almost_all: bool,
    /// `-l`, `-n`, `-g`, `-o`: the long format, numbers, without owner or group.
    long: bool,
    show_owner: bool,
    show_group: bool,
    directory: bool,
    recursive: bool,
    /// `-i`, `-s`: inode numbers, block counts before names.
    inode: bool,
    blocks: bool,
    /// `-F`, `-p`.
    classify: bool,
    slash: bool,
    /// `-q`.
    printable: bool,
    /// `-L`: follow every link; `-H`: links on the command line.
    follow_all: bool,
    follow_operands: bool,
    order: ListOrder,
    reverse: bool,
    /// `-c`, `-u`: the status-change or access time instead of the modification time.
    time: TimeField,
    now: i64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum TimeField {
    Modification,
    StatusChange,
    Access,
}

impl ListOptions {
    /// Whether the entries' status is needed (long format, sorting by it, decorations).
    fn needs_status(&self) -> bool {
        self.long
            || self.recursive
            || self.inode
            || self.blocks
            || self.classify
            || self.slash
            || self.order != ListOrder::Name
    }

    fn time_of(&self, status: &Stat) -> (i64, i64) {
        match self.time {
            TimeField::Modification => (status.st_mtime, status.st_mtime_nsec),
            TimeField::StatusChange => (status.st_ctime, status.st_ctime_nsec),
            TimeField::Access => (status.st_atime, status.st_atime_nsec),
        }
    }

    fn status_of(&self, path: &str) -> Option<Stat> {
        if self.follow_all {
            libos::fs::stat(path)
                .or_else(|_| libos::fs::lstat(path))
                .ok()
        } else {
            libos::fs::lstat(path).ok()
        }
    }
}

/// One name of a listing, with its status when the options need it.
struct Listed {
    name: String,
    path: String,
    status: Option<Stat>,
}

fn facts<'a>(entry: &'a Listed, options: &ListOptions) -> EntryFacts<'a> {
    let status = entry.status.unwrap_or_default();
    EntryFacts {
        name: entry.name.as_bytes(),
        size: status.st_size,
        time: options.time_of(&status),
    }
}

fn sort_listing(entries: &mut [Listed], options: &ListOptions) {
    entries.sort_by(|left, right| {
        compare_entries(
            &facts(left, options),
            &facts(right, options),
            options.order,
            options.reverse,
        )
    });
}

/// The name as listed: `-q`, then `-F`/`-p`'s indicator.
fn shown_name(entry: &Listed, options: &ListOptions) -> String {
    let mut name = if options.printable {
        printable(&entry.name)
    } else {
        entry.name.clone()
    };
    if (options.classify || options.slash)
        && let Some(status) = entry.status
        && let Some(character) = indicator(status.st_mode, options.classify)
    {
        name.push(character);
    }
    name
}

/// `-i` and `-s`'s columns before a name.
fn prefix(entry: &Listed, options: &ListOptions) -> String {
    let status = entry.status.unwrap_or_default();
    let mut text = String::new();
    if options.inode {
        text.push_str(&alloc::format!("{} ", status.st_ino));
    }
    if options.blocks {
        text.push_str(&alloc::format!("{} ", status.st_blocks / 2));
    }
    text
}

fn print_listing(entries: &[Listed], options: &ListOptions) {
    if !options.long {
        for entry in entries {
            out_str(&prefix(entry, options));
            out_str(&shown_name(entry, options));
            out_str("\n");
        }
        return;
    }
    let texts: Vec<(String, String, String, String)> = entries
        .iter()
        .map(|entry| {
            let status = entry.status.unwrap_or_default();
            let mut name = shown_name(entry, options);
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
                listing_time(options.time_of(&status).0, options.now),
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
    for (entry, listed) in long_entries.iter().zip(entries) {
        out_str(&prefix(listed, options));
        out_str(&long_line(
            entry,
            &widths,
            options.show_owner,
            options.show_group,
        ));
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
    } else if !options.almost_all {
        names.retain(|name| !is_hidden(name));
    }
    let mut entries: Vec<Listed> = names
        .into_iter()
        .map(|name| {
            let full = join(path, &name);
            let status = if options.needs_status() {
                options.status_of(&full)
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
    sort_listing(&mut entries, options);
    if header {
        if !*first {
            out_str("\n");
        }
        out_str(&alloc::format!("{path}:\n"));
    }
    *first = false;
    if options.long || options.blocks {
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
            // Recursion follows the entry itself only with -L (never a link's directory).
            if entry.status.is_some_and(|status| is_directory(&status)) {
                ok &= list_directory(&entry.path, options, true, first);
            }
        }
    }
    ok
}

/// `ls [-1AadFgHiLlnopqRrSstcu] [FILE]...`
pub fn ls(operands: &[String]) -> i32 {
    let usage = "ls [-1AadFgHiLlnopqRrSstcu] [FILE]...";
    let parsed = match options("ls", operands, "1AadFgHiLlnopqRrSstcu", "", usage) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    // The last of -t and -S, and of -c and -u, wins.
    let order = parsed
        .options
        .iter()
        .rev()
        .find_map(|(letter, _)| match letter {
            't' => Some(ListOrder::Time),
            'S' => Some(ListOrder::Size),
            _ => None,
        })
        .unwrap_or(ListOrder::Name);
    let time = parsed
        .options
        .iter()
        .rev()
        .find_map(|(letter, _)| match letter {
            'c' => Some(TimeField::StatusChange),
            'u' => Some(TimeField::Access),
            _ => None,
        })
        .unwrap_or(TimeField::Modification);
    let options = ListOptions {
        all: parsed.has('a'),
        almost_all: parsed.has('A'),
        long: parsed.has('l') || parsed.has('n') || parsed.has('g') || parsed.has('o'),
        show_owner: !parsed.has('g'),
        show_group: !parsed.has('o'),
        directory: parsed.has('d'),
        recursive: parsed.has('R'),
        inode: parsed.has('i'),
        blocks: parsed.has('s'),
        classify: parsed.has('F'),
        slash: parsed.has('p'),
        printable: parsed.has('q'),
        follow_all: parsed.has('L'),
        follow_operands: parsed.has('H'),
        order,
        reverse: parsed.has('r'),
        time,
        now: now(),
    };
    let mut operands = parsed.operands.clone();
    if operands.is_empty() {
        operands.push(String::from("."));
    }
    let mut status = 0;
    let mut files = Vec::new();
    let mut directories = Vec::new();
    let long_format_or_d = options.long || options.directory || options.classify;
    for operand in &operands {
        // A link named on the command line is followed unless the long format, -d or -F
        // lists the link itself (and -H or -L always follow it).
        let follow = options.follow_all || options.follow_operands || !long_format_or_d;
        let found = if follow {
            libos::fs::stat(operand).or_else(|_| libos::fs::lstat(operand))
        } else {
            libos::fs::lstat(operand)
        };
        match found {
            Err(error) => {
                error_line(&alloc::format!("ls: cannot access '{operand}': {error}"));
                status = 2;
            }
            Ok(found) if is_directory(&found) && !options.directory => directories.push(Listed {
                name: operand.clone(),
                path: operand.clone(),
                status: Some(found),
            }),
            Ok(found) => files.push(Listed {
                name: operand.clone(),
                path: operand.clone(),
                status: Some(found),
            }),
        }
    }
    sort_listing(&mut files, &options);
    sort_listing(&mut directories, &options);
    print_listing(&files, &options);
    let header = operands.len() > 1 || options.recursive;
    let mut first = files.is_empty();
    for directory in &directories {
        if !list_directory(&directory.path, &options, header, &mut first) {
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

/// `mkfifo [-m MODE] FILE...`: each FILE a new FIFO, mode `0666` less the `umask`, or exactly
/// MODE with `-m` (set with `chmod` afterwards, so the `umask` does not cut it).
pub fn mkfifo(operands: &[String]) -> i32 {
    const USAGE: &str = "mkfifo [-m MODE] FILE...";
    let parsed = match options("mkfifo", operands, "", "m", USAGE) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let mode = match parse_creation_mode("mkfifo", parsed.value('m'), 0o666) {
        Ok(mode) => mode,
        Err(status) => return status,
    };
    if parsed.operands.is_empty() {
        error_line(&alloc::format!("mkfifo: missing operand\nusage: {USAGE}"));
        return 2;
    }
    let mut status = 0;
    for operand in &parsed.operands {
        let made = libos::fs::mkfifo(operand, mode).and_then(|()| match parsed.value('m') {
            Some(_) => libos::fs::chmod(operand, mode),
            None => Ok(()),
        });
        if let Err(error) = made {
            error_line(&alloc::format!(
                "mkfifo: cannot create fifo '{operand}': {error}"
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
    let parsed = match options("rm", operands, "fRr", "", "rm [-fRr] FILE...") {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let force = parsed.has('f');
    if parsed.operands.is_empty() && !force {
        error_line("rm: missing operand\nusage: rm [-fRr] FILE...");
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

/// `cp -p`: the source's owner, group, times and mode on the copy. An owner that cannot be
/// kept is not an error (POSIX), but then the set-user-ID and set-group-ID bits are not kept.
fn preserve(status: &Stat, destination: &str) -> bool {
    use libposix_sys::time::Timespec;
    let mut mode = status.st_mode & 0o7777;
    if libos::fs::chown(destination, status.st_uid, status.st_gid).is_err() {
        mode &= 0o1777;
    }
    let times = [
        Timespec {
            tv_sec: status.st_atime,
            tv_nsec: status.st_atime_nsec,
        },
        Timespec {
            tv_sec: status.st_mtime,
            tv_nsec: status.st_mtime_nsec,
        },
    ];
    let result = libos::fs::chmod(destination, mode).and_then(|()| {
        libos::fs::utimensat(libposix_sys::fcntl::AT_FDCWD, destination, Some(&times), 0)
    });
    if let Err(error) = result {
        error_line(&alloc::format!(
            "cp: preserving times and mode of '{destination}': {error}"
        ));
        return false;
    }
    true
}

/// Copies `source` to `destination`, directories recursively when `recursive`, keeping
/// owner, times and mode with `-p`.
fn copy(source: &str, destination: &str, recursive: bool, keep: bool) -> bool {
    let status = match libos::fs::stat(source) {
        Ok(status) => status,
        Err(error) => {
            error_line(&alloc::format!("cp: cannot stat '{source}': {error}"));
            return false;
        }
    };
    if !is_directory(&status) {
        return copy_file("cp", source, &status, destination)
            && (!keep || preserve(&status, destination));
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
        ok &= copy(&join(source, &name), &join(destination, &name), true, keep);
    }
    // A directory's times are kept after its contents are written.
    ok && (!keep || preserve(&status, destination))
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
    let parsed = match options("cp", operands, "pRr", "", "cp [-pRr] SOURCE... TARGET") {
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
        if !copy(&source, &destination, recursive, parsed.has('p')) {
            status = 1;
        }
    }
    finish(status)
}

/// `mv [-f] SOURCE... TARGET`: `rename` (atomic, directories too; the file server checks the
/// POSIX cases: a directory over a non-empty one, into itself, across types).
pub fn mv(operands: &[String]) -> i32 {
    let parsed = match options("mv", operands, "f", "", "mv [-f] SOURCE... TARGET") {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let pairs = match destinations("mv", &parsed.operands) {
        Ok(pairs) => pairs,
        Err(status) => return status,
    };
    let mut status = 0;
    for (source, destination) in pairs {
        if let Err(error) = libos::fs::lstat(&source) {
            error_line(&alloc::format!("mv: cannot stat '{source}': {error}"));
            status = 1;
            continue;
        }
        if let Err(error) = libos::fs::rename(&source, &destination) {
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
    let parsed = match options("ln", operands, "fs", "", "ln [-fs] SOURCE... TARGET") {
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

/// `touch [-acm] [-d DATE-TIME | -r FILE | -t TIME] FILE...`: creates missing files and sets
/// the access and modification times (now, or the time given) with `utimensat`.
pub fn touch(operands: &[String]) -> i32 {
    use libposix_sys::time::{Timespec, UTIME_NOW, UTIME_OMIT};
    let usage = "touch [-acm] [-d DATE-TIME | -r FILE | -t [[CC]YY]MMDDhhmm[.SS]] FILE...";
    let parsed = match options("touch", operands, "acm", "drt", usage) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    if parsed.operands.is_empty() {
        error_line(&alloc::format!(
            "touch: missing file operand\nusage: {usage}"
        ));
        return 2;
    }
    let now = Timespec {
        tv_sec: 0,
        tv_nsec: UTIME_NOW,
    };
    let (mut accessed, mut modified) = (now, now);
    if let Some(text) = parsed.value('t') {
        let year = utility_logic::calendar::civil_time(self::now()).year;
        let Some(seconds) = utility_logic::calendar::parse_touch_time(text, year) else {
            error_line(&alloc::format!("touch: invalid date format '{text}'"));
            return 2;
        };
        accessed = Timespec {
            tv_sec: seconds,
            tv_nsec: 0,
        };
        modified = accessed;
    } else if let Some(text) = parsed.value('d') {
        let Some((seconds, nanoseconds)) = utility_logic::calendar::parse_date_time(text) else {
            error_line(&alloc::format!("touch: invalid date format '{text}'"));
            return 2;
        };
        accessed = Timespec {
            tv_sec: seconds,
            tv_nsec: nanoseconds,
        };
        modified = accessed;
    } else if let Some(reference) = parsed.value('r') {
        match libos::fs::stat(reference) {
            Ok(found) => {
                accessed = Timespec {
                    tv_sec: found.st_atime,
                    tv_nsec: found.st_atime_nsec,
                };
                modified = Timespec {
                    tv_sec: found.st_mtime,
                    tv_nsec: found.st_mtime_nsec,
                };
            }
            Err(error) => {
                error_line(&alloc::format!(
                    "touch: failed to get attributes of '{reference}': {error}"
                ));
                return 1;
            }
        }
    }
    // -a alone leaves the modification time, -m alone the access time.
    let omit = Timespec {
        tv_sec: 0,
        tv_nsec: UTIME_OMIT,
    };
    if parsed.has('a') && !parsed.has('m') {
        modified = omit;
    }
    if parsed.has('m') && !parsed.has('a') {
        accessed = omit;
    }
    let times = [accessed, modified];
    let mut status = 0;
    for operand in &parsed.operands {
        if libos::fs::stat(operand).is_err() {
            if parsed.has('c') {
                continue;
            }
            match libos::fs::open(operand, O_WRONLY | O_CREAT, 0o666) {
                Ok(fd) => {
                    let _ = close(fd);
                }
                Err(error) => {
                    error_line(&alloc::format!("touch: cannot touch '{operand}': {error}"));
                    status = 1;
                    continue;
                }
            }
        }
        if let Err(error) =
            libos::fs::utimensat(libposix_sys::fcntl::AT_FDCWD, operand, Some(&times), 0)
        {
            error_line(&alloc::format!(
                "touch: setting times of '{operand}': {error}"
            ));
            status = 1;
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

fn change_owner(path: &str, user: u32, group: u32, recursive: bool, no_follow: bool) -> bool {
    let changed = if no_follow {
        libos::fs::lchown(path, user, group)
    } else {
        libos::fs::chown(path, user, group)
    };
    let mut ok = true;
    if let Err(error) = changed {
        error_line(&alloc::format!(
            "chown: changing ownership of '{path}': {error}"
        ));
        ok = false;
    }
    // -R does not follow links into other trees.
    if recursive && libos::fs::lstat(path).is_ok_and(|found| is_directory(&found)) {
        match directory_names(path) {
            Ok(names) => {
                for name in names {
                    ok &= change_owner(&join(path, &name), user, group, true, true);
                }
            }
            Err(error) => {
                complain("chown", path, error);
                ok = false;
            }
        }
    }
    ok
}

/// `chown [-hR] OWNER[:GROUP] FILE...` (numeric ids: there is no user database yet).
pub fn chown(operands: &[String]) -> i32 {
    let usage = "chown [-hR] OWNER[:GROUP] FILE...";
    let parsed = match options("chown", operands, "hR", "", usage) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let [owner, files @ ..] = parsed.operands.as_slice() else {
        error_line(&alloc::format!("chown: missing operand\nusage: {usage}"));
        return 2;
    };
    if files.is_empty() {
        error_line(&alloc::format!("chown: missing operand after '{owner}'"));
        return 2;
    }
    let (user, group) = match utility_logic::names::parse_owner(owner) {
        Ok(ids) => ids,
        Err(utility_logic::names::OwnerError::User) => {
            error_line(&alloc::format!("chown: invalid user: '{owner}'"));
            return 1;
        }
        Err(utility_logic::names::OwnerError::Group) => {
            error_line(&alloc::format!("chown: invalid group: '{owner}'"));
            return 1;
        }
    };
    let (user, group) = (user.unwrap_or(u32::MAX), group.unwrap_or(u32::MAX));
    let mut status = 0;
    for file in files {
        if !change_owner(file, user, group, parsed.has('R'), parsed.has('h')) {
            status = 1;
        }
    }
    finish(status)
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
