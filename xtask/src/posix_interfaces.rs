//! The interfaces the POSIX coverage matrix has a row for: every Linux x86_64 system call that
//! `libposix-sys` numbers, plus every POSIX function the seed documents name, each in its group
//! (`xtask/data/posix-interfaces.txt`).

use std::collections::BTreeMap;
use std::fmt;

use libposix_sys::syscall_numbers::SystemCall;

/// The interface list, checked in (see its header for how it was derived).
pub const INTERFACE_LIST: &str = include_str!("../data/posix-interfaces.txt");

/// The groups of the matrix, in the order the seed documents use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InterfaceGroup {
    /// Processes and threads: creation, exit, waiting, ids, scheduling, limits.
    Process,
    /// File contents and metadata.
    Files,
    /// Directories and the working directory.
    Directories,
    /// Names: links, symbolic links, renaming, removal.
    Links,
    /// File descriptors: duplication, control, pipes.
    FileDescriptorControl,
    /// Address spaces.
    Memory,
    /// Signals.
    Signals,
    /// Clocks, sleeps and timers.
    Time,
    /// Waiting on many descriptors.
    Polling,
    /// System V and POSIX message queues, semaphores, shared memory.
    InterProcessCommunication,
    /// Sockets.
    Sockets,
    /// Users, groups, permissions and credentials.
    Users,
    /// System information.
    SystemInformation,
    /// System administration and Linux-specific kernel facilities (mounts, modules, tracing).
    SystemAdministration,
    /// The shell's utilities (`ls`, `sort`, …), named `utility_NAME`.
    Utilities,
}

impl InterfaceGroup {
    /// Every group, in order.
    pub const ALL: [Self; 15] = [
        Self::Process,
        Self::Files,
        Self::Directories,
        Self::Links,
        Self::FileDescriptorControl,
        Self::Memory,
        Self::Signals,
        Self::Time,
        Self::Polling,
        Self::InterProcessCommunication,
        Self::Sockets,
        Self::Users,
        Self::SystemInformation,
        Self::SystemAdministration,
        Self::Utilities,
    ];

    /// The heading in the data file.
    pub fn key(self) -> &'static str {
        match self {
            Self::Process => "process",
            Self::Files => "files",
            Self::Directories => "directories",
            Self::Links => "links",
            Self::FileDescriptorControl => "fd-control",
            Self::Memory => "memory",
            Self::Signals => "signals",
            Self::Time => "time",
            Self::Polling => "polling",
            Self::InterProcessCommunication => "ipc",
            Self::Sockets => "sockets",
            Self::Users => "users",
            Self::SystemInformation => "system-info",
            Self::SystemAdministration => "system",
            Self::Utilities => "utilities",
        }
    }

    /// The title in the matrix.
    pub fn title(self) -> &'static str {
        match self {
            Self::Process => "Process",
            Self::Files => "Files",
            Self::Directories => "Directories",
            Self::Links => "Links",
            Self::FileDescriptorControl => "File-descriptor control",
            Self::Memory => "Memory",
            Self::Signals => "Signals",
            Self::Time => "Time",
            Self::Polling => "Polling",
            Self::InterProcessCommunication => "IPC",
            Self::Sockets => "Sockets",
            Self::Users => "Users and permissions",
            Self::SystemInformation => "System information",
            Self::SystemAdministration => "System administration",
            Self::Utilities => "Utilities",
        }
    }

    fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|group| group.key() == key)
    }
}

/// One row of the matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// The name, as checks write it in `covers=`.
    pub name: String,
    /// Its group.
    pub group: InterfaceGroup,
    /// The Linux x86_64 system-call number, if it is a system call.
    pub system_call: Option<u64>,
    /// Whether a seed document names it.
    pub named_by_seed: bool,
    /// Whether it is a utility (a program in `/bin`, marked `utility`), not a function.
    pub utility: bool,
    /// Behaviours that checks must prove separately (`name:behaviour`) before it counts as
    /// implemented.
    pub required_behaviours: Vec<String>,
}

/// A defect in the interface list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterfaceListError {
    /// A line before any `[group]` heading.
    LineOutsideGroup { line: usize },
    /// A `[heading]` that is not a group.
    UnknownGroup { line: usize, heading: String },
    /// A word after the name that is neither `seed`, `posix`, `utility` nor `requires=…`.
    UnknownAttribute { line: usize, word: String },
    /// A name listed twice.
    Duplicate { name: String },
    /// A name that is neither a libposix-sys system call nor marked `seed` or `utility`.
    NeitherSystemCallNorSeed { name: String },
    /// A libposix-sys system call that is not listed.
    SystemCallMissing { name: String },
}

impl fmt::Display for InterfaceListError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LineOutsideGroup { line } => {
                write!(
                    formatter,
                    "line {line}: an interface before any `[group]` heading"
                )
            }
            Self::UnknownGroup { line, heading } => {
                write!(formatter, "line {line}: `[{heading}]` is not a group")
            }
            Self::UnknownAttribute { line, word } => write!(
                formatter,
                "line {line}: `{word}` is neither `seed`, `posix`, `utility` nor `requires=…`"
            ),
            Self::Duplicate { name } => write!(formatter, "`{name}` is listed twice"),
            Self::NeitherSystemCallNorSeed { name } => write!(
                formatter,
                "`{name}` is neither a libposix-sys system call, named by a seed, nor a utility"
            ),
            Self::SystemCallMissing { name } => write!(
                formatter,
                "the libposix-sys system call `{name}` has no group in the interface list"
            ),
        }
    }
}

/// Every interface, in the list's order, checked against libposix-sys's system calls.
///
/// # Errors
/// The first defect of the list.
pub fn parse_interfaces(text: &str) -> Result<Vec<Interface>, InterfaceListError> {
    let mut interfaces: Vec<Interface> = Vec::new();
    let mut positions: BTreeMap<String, usize> = BTreeMap::new();
    let mut group = None;
    for (index, line) in text.lines().enumerate() {
        let line_number = index + 1;
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        if let Some(heading) = line
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
        {
            group = Some(InterfaceGroup::from_key(heading).ok_or_else(|| {
                InterfaceListError::UnknownGroup {
                    line: line_number,
                    heading: heading.to_string(),
                }
            })?);
            continue;
        }
        let group = group.ok_or(InterfaceListError::LineOutsideGroup { line: line_number })?;
        let mut words = line.split_whitespace();
        let name = words.next().unwrap_or_default().to_string();
        let mut interface = Interface {
            system_call: SystemCall::from_name(&name).map(SystemCall::number),
            name,
            group,
            named_by_seed: false,
            utility: false,
            required_behaviours: Vec::new(),
        };
        // `posix`: a POSIX function (not a system call) that an issue names though no seed
        // does (`posix_spawn`, `execvp`).
        let mut posix_function = false;
        for word in words {
            if word == "seed" {
                interface.named_by_seed = true;
            } else if word == "utility" {
                interface.utility = true;
            } else if word == "posix" {
                posix_function = true;
            } else if let Some(list) = word.strip_prefix("requires=") {
                interface
                    .required_behaviours
                    .extend(list.split(',').map(str::to_string));
            } else {
                return Err(InterfaceListError::UnknownAttribute {
                    line: line_number,
                    word: word.to_string(),
                });
            }
        }
        if interface.system_call.is_none()
            && !interface.named_by_seed
            && !posix_function
            && !interface.utility
        {
            return Err(InterfaceListError::NeitherSystemCallNorSeed {
                name: interface.name,
            });
        }
        if positions
            .insert(interface.name.clone(), interfaces.len())
            .is_some()
        {
            return Err(InterfaceListError::Duplicate {
                name: interface.name,
            });
        }
        interfaces.push(interface);
    }
    if let Some(call) = SystemCall::ALL
        .iter()
        .find(|call| !positions.contains_key(call.name()))
    {
        return Err(InterfaceListError::SystemCallMissing {
            name: call.name().to_string(),
        });
    }
    Ok(interfaces)
}

/// The checked-in interface list.
///
/// # Errors
/// The list has a defect (its host test keeps it from having one).
pub fn interfaces() -> Result<Vec<Interface>, InterfaceListError> {
    parse_interfaces(INTERFACE_LIST)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checked_in_list_is_valid_and_has_every_system_call() {
        let interfaces = interfaces().expect("the interface list is valid");
        for call in SystemCall::ALL {
            let interface = interfaces
                .iter()
                .find(|interface| interface.name == call.name())
                .unwrap_or_else(|| panic!("{} is missing", call.name()));
            assert_eq!(interface.system_call, Some(call.number()));
        }
        let system_calls = interfaces
            .iter()
            .filter(|interface| interface.system_call.is_some())
            .count();
        assert_eq!(system_calls, SystemCall::ALL.len());
    }

    #[test]
    fn every_group_has_interfaces_and_seed_names_are_present() {
        let interfaces = interfaces().expect("the interface list is valid");
        for group in InterfaceGroup::ALL {
            assert!(
                interfaces.iter().any(|interface| interface.group == group),
                "{group:?} is empty"
            );
        }
        let find = |name: &str| {
            interfaces
                .iter()
                .find(|interface| interface.name == name)
                .unwrap_or_else(|| panic!("{name} is missing"))
        };
        // A sample of the seeds' names that are POSIX functions rather than system calls.
        for name in [
            "waitpid",
            "signal",
            "sigemptyset",
            "readdir",
            "pthread_create",
            "send",
        ] {
            let interface = find(name);
            assert!(interface.named_by_seed && interface.system_call.is_none());
        }
        assert_eq!(find("openat").required_behaviours, ["dirfd"]);
        assert_eq!(find("open").group, InterfaceGroup::Files);
        assert!(find("_sysctl").system_call.is_some());
    }

    #[test]
    fn defects_are_reported() {
        let all_calls: String = SystemCall::ALL
            .iter()
            .map(|call| format!("{}\n", call.name()))
            .collect();
        let with = |extra: &str| format!("[process]\n{all_calls}{extra}");
        assert!(parse_interfaces(&with("")).is_ok());
        assert_eq!(
            parse_interfaces(&with("waitpid\n")),
            Err(InterfaceListError::NeitherSystemCallNorSeed {
                name: "waitpid".to_string()
            })
        );
        assert!(parse_interfaces(&with("waitpid seed\n")).is_ok());
        assert!(matches!(
            parse_interfaces(&with("open\n")),
            Err(InterfaceListError::Duplicate { .. })
        ));
        assert!(matches!(
            parse_interfaces(&with("waitpid seeded\n")),
            Err(InterfaceListError::UnknownAttribute { .. })
        ));
        assert!(matches!(
            parse_interfaces(&with("[threads]\n")),
            Err(InterfaceListError::UnknownGroup { .. })
        ));
        assert!(matches!(
            parse_interfaces("read\n"),
            Err(InterfaceListError::LineOutsideGroup { line: 1 })
        ));
        assert_eq!(
            parse_interfaces("[files]\nread\n"),
            Err(InterfaceListError::SystemCallMissing {
                name: "write".to_string()
            })
        );
    }
}
