//! The process and system utilities: env, sleep, kill, ps, test/[, basename, dirname, id,
//! uname, date, dmesg. A call the system does not have yet is reported as `Function not implemented`
//! with status 1, never pretended.

use alloc::string::String;
use alloc::vec::Vec;

use libos::abi::KernelError;
use libos::process::credentials;
use libposix_sys::errno::Errno;
use libposix_sys::utsname::Utsname;
use utility_logic::identity::{IdRequest, Ids, UNAME_LETTERS, id_line, uname_line};
use utility_logic::test_expression::{FileFacts, FileQuery, evaluate};

use crate::streams::{error_line, finish, options, out_str};

/// `env [-i] [NAME=VALUE]... [COMMAND [ARGUMENT]...]`
pub fn env(operands: &[String], environment: &[String]) -> i32 {
    let mut index = 0;
    let mut variables: Vec<String> = environment.to_vec();
    while let Some(word) = operands.get(index) {
        match word.as_str() {
            "-i" | "-" => variables.clear(),
            "--" => {
                index += 1;
                break;
            }
            _ if word.starts_with('-') => {
                error_line(&alloc::format!(
                    "env: invalid option -- '{}'\nusage: env [-i] [NAME=VALUE]... [COMMAND [ARGUMENT]...]",
                    &word[1..]
                ));
                return 2;
            }
            _ => break,
        }
        index += 1;
    }
    while let Some(word) = operands.get(index) {
        let Some((name, _)) = word.split_once('=') else {
            break;
        };
        variables.retain(|variable| variable.split_once('=').map(|(other, _)| other) != Some(name));
        variables.push(word.clone());
        index += 1;
    }
    let Some(command) = operands.get(index) else {
        for variable in &variables {
            out_str(variable);
            out_str("\n");
        }
        return finish(0);
    };
    let path = if command.contains('/') {
        command.clone()
    } else {
        alloc::format!("/bin/{command}")
    };
    let arguments: Vec<&str> = operands[index..].iter().map(String::as_str).collect();
    let environment: Vec<&str> = variables.iter().map(String::as_str).collect();
    crate::streams::flush_output();
    let error = match libos::process::execve(&path, &arguments, &environment) {
        Err(error) => error,
        Ok(never) => match never {},
    };
    error_line(&alloc::format!("env: '{command}': {error}"));
    if error == Errno::ENOENT { 127 } else { 126 }
}

/// `sleep SECONDS` (a decimal number).
pub fn sleep(operands: &[String]) -> i32 {
    let [operand] = utility_logic::options::without_end_of_options(operands) else {
        error_line("sleep: missing or extra operand\nusage: sleep SECONDS");
        return 2;
    };
    let (whole, fraction) = operand.split_once('.').unwrap_or((operand, ""));
    let valid = !whole.is_empty() || !fraction.is_empty();
    let seconds = if whole.is_empty() {
        Ok(0)
    } else {
        whole.parse::<i64>()
    };
    let digits: String = fraction
        .chars()
        .chain(core::iter::repeat('0'))
        .take(9)
        .collect();
    let nanoseconds = if fraction.bytes().all(|byte| byte.is_ascii_digit()) {
        digits.parse::<i64>()
    } else {
        "x".parse::<i64>()
    };
    let (Ok(seconds), Ok(nanoseconds), true) = (seconds, nanoseconds, valid) else {
        error_line(&alloc::format!("sleep: invalid time interval '{operand}'"));
        return 2;
    };
    if seconds < 0 {
        error_line(&alloc::format!("sleep: invalid time interval '{operand}'"));
        return 2;
    }
    let request = libposix_sys::time::Timespec {
        tv_sec: seconds,
        tv_nsec: nanoseconds,
    };
    match libos::time::nanosleep(&request) {
        Ok(()) => 0,
        Err(error) => {
            error_line(&alloc::format!("sleep: {error}"));
            1
        }
    }
}

/// `kill [-s SIGNAL | -SIGNAL] PID...` and `kill -l [STATUS]`.
pub fn kill(operands: &[String]) -> i32 {
    let usage = "usage: kill [-s SIGNAL | -SIGNAL] PID...\n       kill -l [EXIT-STATUS]";
    let mut signal = libposix_sys::signal::SIGTERM;
    let mut index = 0;
    if let Some(first) = operands.first() {
        if first == "-l" {
            if let Some(status) = operands.get(1) {
                let value = status
                    .parse::<i32>()
                    .ok()
                    .map(|value| if value > 128 { value - 128 } else { value });
                return match value.and_then(utility_logic::signals::name) {
                    Some(name) => {
                        out_str(name);
                        out_str("\n");
                        finish(0)
                    }
                    None => {
                        error_line(&alloc::format!("kill: {status}: invalid signal"));
                        1
                    }
                };
            }
            out_str(&utility_logic::signals::NAMES.join(" "));
            out_str("\n");
            return finish(0);
        }
        let name = if first == "-s" {
            index = 2;
            operands.get(1).map(String::as_str)
        } else if let Some(name) = first
            .strip_prefix('-')
            .filter(|name| !name.is_empty() && *name != "-")
        {
            index = 1;
            Some(name)
        } else {
            if first == "--" {
                index = 1;
            }
            None
        };
        if index > 0 && first != "--" {
            match name.and_then(utility_logic::signals::number) {
                Some(number) => signal = number,
                None => {
                    error_line(&alloc::format!(
                        "kill: {}: invalid signal specification\n{usage}",
                        name.unwrap_or("")
                    ));
                    return 2;
                }
            }
        }
    }
    let pids = &operands[index.min(operands.len())..];
    if pids.is_empty() {
        error_line(usage);
        return 2;
    }
    let mut status = 0;
    for pid_text in pids {
        let Ok(pid) = pid_text.parse::<i32>() else {
            error_line(&alloc::format!(
                "kill: {pid_text}: arguments must be process or job IDs"
            ));
            status = 1;
            continue;
        };
        if let Err(error) = libos::signal::kill(pid, signal) {
            error_line(&alloc::format!("kill: ({pid}) - {error}"));
            status = 1;
        }
    }
    status
}

const PS_USAGE: &str =
    "ps [-A|-e] [-d] [-f] [-o FORMAT]... [-p PIDS] [-u USERS] [-U USERS] [-G GROUPS]";

/// `ps [-A|-e] [-d] [-f] [-o FORMAT]... [-p PIDS] [-u USERS] [-U USERS] [-G GROUPS]`: reads
/// `/proc` (the pids from its listing, each process from its `stat`, `status` and `cmdline`).
pub fn ps(operands: &[String]) -> i32 {
    use utility_logic::process_status::{
        Clock, Selection, TICKS_PER_SECOND, default_columns, full_columns, parse_format,
        parse_numbers, render,
    };
    let Ok(parsed) = options("ps", operands, "Aadef", "oGpUu", PS_USAGE) else {
        return 2;
    };
    if let Some(operand) = parsed.operands.first() {
        error_line(&alloc::format!(
            "ps: extra operand '{operand}'\nusage: {PS_USAGE}"
        ));
        return 2;
    }
    let mut selection = Selection::default();
    let mut columns = Vec::new();
    for (letter, value) in &parsed.options {
        let value = value.as_deref().unwrap_or("");
        let bad = |what: String| {
            error_line(&alloc::format!(
                "ps: -{letter}: invalid value '{what}'\nusage: {PS_USAGE}"
            ));
            2
        };
        match letter {
            'A' | 'e' => selection.every = true,
            'a' | 'd' => selection.not_leaders = true,
            'o' => match parse_format(value) {
                Ok(more) => columns.extend(more),
                Err(name) => return bad(name),
            },
            'p' => match parse_numbers::<i32>(value) {
                Ok(pids) => selection.pids.extend(pids),
                Err(word) => return bad(word),
            },
            'u' => match parse_numbers::<u32>(value) {
                Ok(users) => selection.effective_users.extend(users),
                Err(word) => return bad(word),
            },
            'U' => match parse_numbers::<u32>(value) {
                Ok(users) => selection.real_users.extend(users),
                Err(word) => return bad(word),
            },
            'G' => match parse_numbers::<u32>(value) {
                Ok(groups) => selection.real_groups.extend(groups),
                Err(word) => return bad(word),
            },
            _ => {}
        }
    }
    if columns.is_empty() {
        columns = if parsed.has('f') {
            full_columns()
        } else {
            default_columns()
        };
    }
    let own_user = credentials::geteuid();
    let own_session = libos::process::identity::getsid(0).unwrap_or(0);
    let names = match crate::files::directory_names("/proc") {
        Ok(names) => names,
        Err(error) => {
            error_line(&alloc::format!("ps: /proc: {error}"));
            return 1;
        }
    };
    let mut pids: Vec<i32> = names.iter().filter_map(|name| name.parse().ok()).collect();
    pids.sort_unstable();
    let mut rows = Vec::new();
    for pid in pids {
        // A process that ended since the listing is left out.
        let Some(facts) = process_facts(pid) else {
            continue;
        };
        if selection.selects(&facts, own_user, own_session) {
            rows.push(facts);
        }
    }
    let now = libos::clock::clock_monotonic();
    let real = libos::clock::clock_realtime().unwrap_or(0);
    let clock = Clock {
        now_ticks: now / (1_000_000_000 / TICKS_PER_SECOND),
        boot_seconds: real.saturating_sub(now) / 1_000_000_000,
    };
    out_str(&render(&columns, &rows, clock));
    finish(0)
}

/// `mount`: with no operand, the mount table (`DEVICE on DIR type TYPE (OPTIONS)`, from
/// `/proc/mounts`); `mount -t tmpfs SOURCE DIR` mounts a fresh tmpfs on `DIR`.
pub fn mount(operands: &[String]) -> i32 {
    const USAGE: &str = "mount [-t tmpfs SOURCE DIRECTORY]";
    let Ok(parsed) = options("mount", operands, "", "t", USAGE) else {
        return 1;
    };
    match (parsed.value('t'), parsed.operands.as_slice()) {
        (None, []) => {
            let table = match read_small_file("/proc/mounts") {
                Ok(table) => table,
                Err(error) => {
                    error_line(&alloc::format!("mount: /proc/mounts: {error}"));
                    return 32;
                }
            };
            for line in String::from_utf8_lossy(&table).lines() {
                let words: Vec<&str> = line.split(' ').collect();
                if let [device, point, kind, options, ..] = words.as_slice() {
                    out_str(&alloc::format!(
                        "{device} on {point} type {kind} ({options})\n"
                    ));
                }
            }
            finish(0)
        }
        (Some(kind), [source, target]) => {
            match libos::fs::mounts::mount(source, target, kind, 0, None) {
                Ok(()) => 0,
                Err(error) => {
                    error_line(&alloc::format!("mount: {target}: {error}"));
                    32
                }
            }
        }
        _ => {
            error_line(&alloc::format!("mount: bad usage\nusage: {USAGE}"));
            1
        }
    }
}

/// `umount DIRECTORY...`: unmounts each.
pub fn umount(operands: &[String]) -> i32 {
    const USAGE: &str = "umount DIRECTORY...";
    let Ok(parsed) = options("umount", operands, "", "", USAGE) else {
        return 1;
    };
    if parsed.operands.is_empty() {
        error_line(&alloc::format!("umount: bad usage\nusage: {USAGE}"));
        return 1;
    }
    let mut status = 0;
    for target in &parsed.operands {
        if let Err(error) = libos::fs::mounts::umount(target) {
            error_line(&alloc::format!("umount: {target}: {error}"));
            status = 32;
        }
    }
    status
}

/// Reads a whole (small) file.
fn read_small_file(path: &str) -> Result<Vec<u8>, Errno> {
    let fd = libos::fs::open(path, libposix_sys::fcntl::O_RDONLY, 0)?;
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 1024];
    let result = loop {
        match libos::io::read(fd, &mut buffer) {
            Ok(0) => break Ok(()),
            Ok(count) => bytes.extend_from_slice(&buffer[..count]),
            Err(error) => break Err(error),
        }
    };
    let _ = libos::io::close(fd);
    result.map(|()| bytes)
}

/// One process's facts from `/proc/PID/stat`, `status` and `cmdline`.
fn process_facts(pid: i32) -> Option<utility_logic::process_status::ProcessFacts> {
    let stat = read_small_file(&alloc::format!("/proc/{pid}/stat")).ok()?;
    let mut facts = utility_logic::process_status::parse_stat(&String::from_utf8_lossy(&stat))?;
    let status = read_small_file(&alloc::format!("/proc/{pid}/status")).ok()?;
    utility_logic::process_status::apply_status(&mut facts, &String::from_utf8_lossy(&status));
    facts.arguments = read_small_file(&alloc::format!("/proc/{pid}/cmdline")).unwrap_or_default();
    Some(facts)
}

/// The file questions of `test`, asked of the LibOS.
struct LibosFiles;

impl FileQuery for LibosFiles {
    fn facts(&self, path: &str, follow: bool) -> Option<FileFacts> {
        let found = if follow {
            libos::fs::stat(path)
        } else {
            libos::fs::lstat(path)
        };
        found.ok().map(|found| FileFacts {
            mode: found.st_mode,
            size: u64::try_from(found.st_size).unwrap_or(0),
        })
    }

    fn may(&self, path: &str, access: u32) -> bool {
        libos::fs::access(path, access as i32).is_ok()
    }

    fn is_terminal(&self, fd: i32) -> bool {
        libos::io::isatty(fd).is_ok()
    }
}

/// `test EXPRESSION` and `[ EXPRESSION ]`: 0 true, 1 false, 2 an error.
pub fn test(operands: &[String], bracket: bool) -> i32 {
    let mut words: Vec<&str> = operands.iter().map(String::as_str).collect();
    if bracket {
        if words.last() != Some(&"]") {
            error_line("[: missing ']'");
            return 2;
        }
        words.pop();
    }
    match evaluate(&words, &LibosFiles) {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(error) => {
            error_line(&alloc::format!(
                "{}: {error}",
                if bracket { "[" } else { "test" }
            ));
            2
        }
    }
}

/// `basename STRING [SUFFIX]`
pub fn basename(operands: &[String]) -> i32 {
    let operands = utility_logic::options::without_end_of_options(operands);
    match operands {
        [path] => out_str(&utility_logic::names::basename(path, None)),
        [path, suffix] => out_str(&utility_logic::names::basename(path, Some(suffix))),
        _ => {
            error_line("basename: missing or extra operand\nusage: basename STRING [SUFFIX]");
            return 2;
        }
    };
    out_str("\n");
    finish(0)
}

/// `dirname STRING`
pub fn dirname(operands: &[String]) -> i32 {
    let operands = utility_logic::options::without_end_of_options(operands);
    let [path] = operands else {
        error_line("dirname: missing or extra operand\nusage: dirname STRING");
        return 2;
    };
    out_str(&utility_logic::names::dirname(path));
    out_str("\n");
    finish(0)
}

/// `id [-u | -g | -G] [-nr]`: the caller's ids in POSIX's format, numbers only (there is no
/// user database: `-n` prints the number as the name). A user operand cannot be looked up.
pub fn id(operands: &[String]) -> i32 {
    let usage = "id [-u | -g | -G] [-nr]";
    let parsed = match options("id", operands, "ugGnr", "", usage) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    if let Some(user) = parsed.operands.first() {
        error_line(&alloc::format!(
            "id: '{user}': no such user (there is no user database)"
        ));
        return 1;
    }
    let supplementary = match supplementary_groups() {
        Ok(groups) => groups,
        Err(error) => {
            error_line(&alloc::format!("id: getting the groups: {error}"));
            return 1;
        }
    };
    let ids = Ids {
        real_user: credentials::getuid(),
        effective_user: credentials::geteuid(),
        real_group: credentials::getgid(),
        effective_group: credentials::getegid(),
        supplementary,
    };
    let request = IdRequest {
        user: parsed.has('u'),
        group: parsed.has('g'),
        groups: parsed.has('G'),
        name: parsed.has('n'),
        real: parsed.has('r'),
    };
    match id_line(&ids, request) {
        Ok(line) => {
            out_str(&line);
            out_str("\n");
            finish(0)
        }
        Err(error) => {
            error_line(&alloc::format!("id: {error}\nusage: {usage}"));
            1
        }
    }
}

/// The supplementary groups, sized by a first `getgroups` (retried if they grew meanwhile).
fn supplementary_groups() -> Result<Vec<u32>, Errno> {
    loop {
        let count = credentials::getgroups(&mut [])?;
        if count == 0 {
            return Ok(Vec::new());
        }
        let mut list = alloc::vec![0; count];
        match credentials::getgroups(&mut list) {
            Ok(filled) => {
                list.truncate(filled);
                return Ok(list);
            }
            Err(Errno::EINVAL) => {}
            Err(error) => return Err(error),
        }
    }
}

/// `uname [-asnrvm]` from the LibOS's `uname` (no options: `-s`).
pub fn uname(operands: &[String]) -> i32 {
    let usage = "uname [-asnrvm]";
    let parsed = match options("uname", operands, "asnrvm", "", usage) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    if let Some(extra) = parsed.operands.first() {
        error_line(&alloc::format!(
            "uname: extra operand '{extra}'\nusage: {usage}"
        ));
        return 2;
    }
    let name = libos::process::uname();
    let text = |field: &[u8; libposix_sys::utsname::UTSNAME_FIELD_LENGTH]| {
        String::from_utf8_lossy(Utsname::text(field)).into_owned()
    };
    let fields = [
        text(&name.sysname),
        text(&name.nodename),
        text(&name.release),
        text(&name.version),
        text(&name.machine),
    ];
    let chosen = UNAME_LETTERS.map(|letter| parsed.has('a') || parsed.has(letter));
    out_str(&uname_line(fields.each_ref().map(String::as_str), chosen));
    out_str("\n");
    finish(0)
}

/// `date [-u] [+FORMAT]` (UTC: no time zones yet).
pub fn date(operands: &[String]) -> i32 {
    let parsed = match options("date", operands, "u", "", "date [-u] [+FORMAT]") {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let format = match parsed.operands.as_slice() {
        [] => "%a %b %e %H:%M:%S %Z %Y",
        [format] if format.starts_with('+') => &format[1..],
        [other] => {
            error_line(&alloc::format!(
                "date: setting the time: {} ('{other}')",
                Errno::ENOSYS
            ));
            return 1;
        }
        _ => {
            error_line("date: extra operand\nusage: date [-u] [+FORMAT]");
            return 2;
        }
    };
    match libos::time::clock_gettime(libposix_sys::clock::CLOCK_REALTIME) {
        Ok(now) => {
            out_str(&utility_logic::calendar::format_date(format, now.tv_sec));
            out_str("\n");
            finish(0)
        }
        Err(error) => {
            error_line(&alloc::format!("date: reading the clock: {error}"));
            1
        }
    }
}

/// `dmesg`: the kernel's log, oldest line first (its ring keeps the newest 16 KiB: boot
/// messages, faults nobody handled). Read-only: it has no options to clear or change it.
pub fn dmesg(operands: &[String]) -> i32 {
    let usage = "dmesg";
    let parsed = match options("dmesg", operands, "", "", usage) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    if let Some(extra) = parsed.operands.first() {
        error_line(&alloc::format!(
            "dmesg: extra operand '{extra}'\nusage: {usage}"
        ));
        return 2;
    }
    match libos::kernel_log::read_all() {
        Ok(log) => {
            crate::streams::out(&log);
            finish(0)
        }
        Err(error) => {
            // No console capability: no authority to read it, as Linux's `dmesg_restrict`.
            let errno = match error {
                KernelError::InsufficientRights
                | KernelError::WrongKind
                | KernelError::InvalidSlot => Errno::EPERM,
                _ => Errno::EIO,
            };
            error_line(&alloc::format!("dmesg: read kernel buffer failed: {errno}"));
            1
        }
    }
}
