//! `ps`'s pure parts: reading `/proc/PID/stat` and `status` text, the `-o` format list, the
//! columns, and the time and selection rules.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// Clock ticks per second in `/proc/PID/stat` (Linux's `USER_HZ`).
pub const TICKS_PER_SECOND: u64 = 100;

/// What `ps` knows of one process (from `/proc/PID/stat`, `status` and `cmdline`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcessFacts {
    pub pid: i32,
    pub name: String,
    pub state: char,
    pub parent: i32,
    pub group: i32,
    pub session: i32,
    /// `tty_nr` (0: no controlling terminal).
    pub terminal: i32,
    /// User plus system time, in clock ticks.
    pub ticks: u64,
    /// When it started, in clock ticks since boot.
    pub start_ticks: u64,
    pub nice: i64,
    /// Real and effective user and group ids (from `status`).
    pub real_user: u32,
    pub effective_user: u32,
    pub real_group: u32,
    pub effective_group: u32,
    /// The arguments, NUL-separated (from `cmdline`; empty for a zombie).
    pub arguments: Vec<u8>,
}

/// Parses a `/proc/PID/stat` line: the name is what lies between the first `(` and the last
/// `)` (it may hold spaces and parentheses itself).
#[must_use]
pub fn parse_stat(line: &str) -> Option<ProcessFacts> {
    let open = line.find('(')?;
    let close = line.rfind(')')?;
    if close < open {
        return None;
    }
    let pid = line[..open].trim().parse().ok()?;
    let name = String::from(&line[open + 1..close]);
    let fields: Vec<&str> = line[close + 1..].split_whitespace().collect();
    // Field 3 of Linux's numbering is fields[0] here.
    let field = |number: usize| fields.get(number - 3).copied();
    let number = |index: usize| field(index).and_then(|text| text.parse::<i64>().ok());
    let unsigned = |index: usize| field(index).and_then(|text| text.parse::<u64>().ok());
    Some(ProcessFacts {
        pid,
        name,
        state: field(3)?.chars().next()?,
        parent: number(4)? as i32,
        group: number(5)? as i32,
        session: number(6)? as i32,
        terminal: number(7)? as i32,
        ticks: unsigned(14)?.saturating_add(unsigned(15)?),
        nice: number(19)?,
        start_ticks: unsigned(22)?,
        ..ProcessFacts::default()
    })
}

/// Fills the ids from a `/proc/PID/status` text (`Uid:` and `Gid:` lines: real, effective, …).
pub fn apply_status(facts: &mut ProcessFacts, status: &str) {
    for line in status.lines() {
        let (key, rest) = line.split_once(':').unwrap_or((line, ""));
        let ids: Vec<u32> = rest
            .split_whitespace()
            .filter_map(|word| word.parse().ok())
            .collect();
        match (key, ids.as_slice()) {
            ("Uid", [real, effective, ..]) => {
                facts.real_user = *real;
                facts.effective_user = *effective;
            }
            ("Gid", [real, effective, ..]) => {
                facts.real_group = *real;
                facts.effective_group = *effective;
            }
            _ => {}
        }
    }
}

/// A column `-o` may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Pid,
    Parent,
    Group,
    Session,
    User,
    RealUser,
    GroupId,
    RealGroup,
    Name,
    Arguments,
    Elapsed,
    Time,
    Terminal,
    State,
    Nice,
    Processor,
    StartTime,
}

/// `-o` names (POSIX's and common Linux ones) and their default headers.
const FIELDS: &[(&str, Field, &str)] = &[
    ("pid", Field::Pid, "PID"),
    ("ppid", Field::Parent, "PPID"),
    ("pgid", Field::Group, "PGID"),
    ("sid", Field::Session, "SID"),
    ("user", Field::User, "USER"),
    ("uid", Field::User, "UID"),
    ("euid", Field::User, "EUID"),
    ("ruser", Field::RealUser, "RUSER"),
    ("ruid", Field::RealUser, "RUID"),
    ("group", Field::GroupId, "GROUP"),
    ("gid", Field::GroupId, "GID"),
    ("rgroup", Field::RealGroup, "RGROUP"),
    ("rgid", Field::RealGroup, "RGID"),
    ("comm", Field::Name, "COMMAND"),
    ("ucomm", Field::Name, "COMMAND"),
    ("args", Field::Arguments, "COMMAND"),
    ("cmd", Field::Arguments, "CMD"),
    ("command", Field::Arguments, "COMMAND"),
    ("etime", Field::Elapsed, "ELAPSED"),
    ("time", Field::Time, "TIME"),
    ("tty", Field::Terminal, "TT"),
    ("s", Field::State, "S"),
    ("stat", Field::State, "STAT"),
    ("state", Field::State, "S"),
    ("nice", Field::Nice, "NI"),
    ("ni", Field::Nice, "NI"),
    ("c", Field::Processor, "C"),
    ("pcpu", Field::Processor, "%CPU"),
    ("stime", Field::StartTime, "STIME"),
];

/// A column: what it shows and its header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub field: Field,
    pub header: String,
}

/// Parses one `-o` value: names separated by commas or blanks; `name=header` renames (and
/// takes the rest of the value as the header, as POSIX says).
///
/// # Errors
/// The unknown name.
pub fn parse_format(value: &str) -> Result<Vec<Column>, String> {
    let mut columns = Vec::new();
    let mut rest = value;
    while !rest.is_empty() {
        let end = rest.find([',', ' ', '\t']).unwrap_or(rest.len());
        let word = &rest[..end];
        if let Some(equals) = word.find('=') {
            let name = &word[..equals];
            let field = lookup(name)?;
            // An empty header followed by a comma (`pid=,comm=`) leaves the list going on,
            // as procps allows; any other header takes the rest of the value.
            if equals + 1 == word.len() && rest[end..].starts_with(',') {
                columns.push(Column {
                    field,
                    header: String::new(),
                });
                rest = rest.get(end + 1..).unwrap_or("");
                continue;
            }
            columns.push(Column {
                field,
                header: String::from(&rest[equals + 1..]),
            });
            break;
        }
        if !word.is_empty() {
            let field = lookup(word)?;
            let header = FIELDS
                .iter()
                .find(|(known, _, _)| *known == word)
                .map_or("", |(_, _, header)| header);
            columns.push(Column {
                field,
                header: String::from(header),
            });
        }
        rest = rest.get(end + 1..).unwrap_or("");
    }
    Ok(columns)
}

fn lookup(name: &str) -> Result<Field, String> {
    FIELDS
        .iter()
        .find(|(known, _, _)| *known == name)
        .map(|(_, field, _)| *field)
        .ok_or_else(|| String::from(name))
}

fn columns_of(list: &[(Field, &str)]) -> Vec<Column> {
    list.iter()
        .map(|(field, header)| Column {
            field: *field,
            header: String::from(*header),
        })
        .collect()
}

/// POSIX's default columns: PID TTY TIME CMD.
#[must_use]
pub fn default_columns() -> Vec<Column> {
    columns_of(&[
        (Field::Pid, "PID"),
        (Field::Terminal, "TTY"),
        (Field::Time, "TIME"),
        (Field::Name, "CMD"),
    ])
}

/// `-f`'s columns: UID PID PPID C STIME TTY TIME CMD (the command with its arguments).
#[must_use]
pub fn full_columns() -> Vec<Column> {
    columns_of(&[
        (Field::User, "UID"),
        (Field::Pid, "PID"),
        (Field::Parent, "PPID"),
        (Field::Processor, "C"),
        (Field::StartTime, "STIME"),
        (Field::Terminal, "TTY"),
        (Field::Time, "TIME"),
        (Field::Arguments, "CMD"),
    ])
}

/// `[dd-]hh:mm:ss` for `seconds`.
#[must_use]
pub fn cumulative_time(seconds: u64) -> String {
    let days = seconds / 86_400;
    let hours = seconds / 3600 % 24;
    let minutes = seconds / 60 % 60;
    let rest = seconds % 60;
    if days > 0 {
        format!("{days}-{hours:02}:{minutes:02}:{rest:02}")
    } else {
        format!("{hours:02}:{minutes:02}:{rest:02}")
    }
}

/// `[[dd-]hh:]mm:ss` for `seconds` (`etime`).
#[must_use]
pub fn elapsed_time(seconds: u64) -> String {
    if seconds >= 3600 {
        cumulative_time(seconds)
    } else {
        format!("{:02}:{:02}", seconds / 60, seconds % 60)
    }
}

/// What the columns need besides the process: now, in clock ticks since boot, and the boot
/// time in seconds of the epoch.
#[derive(Clone, Copy, Debug, Default)]
pub struct Clock {
    pub now_ticks: u64,
    pub boot_seconds: u64,
}

/// The arguments as one line (NULs become spaces); a process without any shows as `[name]`,
/// and `<defunct>` marks a zombie, as Linux's `ps` does.
#[must_use]
pub fn command_line(facts: &ProcessFacts) -> String {
    let mut words: Vec<String> = facts
        .arguments
        .split(|&byte| byte == 0)
        .filter(|word| !word.is_empty())
        .map(|word| String::from_utf8_lossy(word).into_owned())
        .collect();
    if words.is_empty() {
        words.push(format!("[{}]", facts.name));
    }
    let mut line = words.join(" ");
    if facts.state == 'Z' {
        line.push_str(" <defunct>");
    }
    line
}

/// The text of `field` for one process.
#[must_use]
pub fn cell(field: Field, facts: &ProcessFacts, clock: Clock) -> String {
    let elapsed_ticks = clock.now_ticks.saturating_sub(facts.start_ticks);
    match field {
        Field::Pid => facts.pid.to_string(),
        Field::Parent => facts.parent.to_string(),
        Field::Group => facts.group.to_string(),
        Field::Session => facts.session.to_string(),
        Field::User => facts.effective_user.to_string(),
        Field::RealUser => facts.real_user.to_string(),
        Field::GroupId => facts.effective_group.to_string(),
        Field::RealGroup => facts.real_group.to_string(),
        Field::Name if facts.state == 'Z' => format!("{} <defunct>", facts.name),
        Field::Name => facts.name.clone(),
        Field::Arguments => command_line(facts),
        Field::Elapsed => elapsed_time(elapsed_ticks / TICKS_PER_SECOND),
        Field::Time => cumulative_time(facts.ticks / TICKS_PER_SECOND),
        Field::Terminal if facts.terminal == 0 => String::from("?"),
        Field::Terminal => format!(
            "{}:{}",
            (facts.terminal >> 8) & 0xfff,
            (facts.terminal & 0xff) | ((facts.terminal >> 12) & 0xfff00)
        ),
        Field::State => facts.state.to_string(),
        Field::Nice => facts.nice.to_string(),
        Field::Processor => facts
            .ticks
            .saturating_mul(100)
            .checked_div(elapsed_ticks)
            .unwrap_or(0)
            .to_string(),
        Field::StartTime => {
            let seconds = clock.boot_seconds + facts.start_ticks / TICKS_PER_SECOND;
            let of_day = seconds % 86_400;
            format!("{:02}:{:02}", of_day / 3600, of_day / 60 % 60)
        }
    }
}

/// Whether a column is aligned left (text) rather than right (numbers).
fn left_aligned(field: Field) -> bool {
    matches!(
        field,
        Field::Name | Field::Arguments | Field::Terminal | Field::State | Field::StartTime
    )
}

/// The table: a header line (left out when every header is empty), then one line a process.
/// Columns are as wide as their widest cell; the last column is not padded.
#[must_use]
pub fn render(columns: &[Column], rows: &[ProcessFacts], clock: Clock) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|facts| {
            columns
                .iter()
                .map(|column| cell(column.field, facts, clock))
                .collect()
        })
        .collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(index, column)| {
            cells
                .iter()
                .map(|row| row[index].chars().count())
                .chain(core::iter::once(column.header.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    let mut line = |values: &[String]| {
        let mut out = String::new();
        for (index, value) in values.iter().enumerate() {
            let last = index + 1 == values.len();
            let pad = widths[index].saturating_sub(value.chars().count());
            if index > 0 {
                out.push(' ');
            }
            if left_aligned(columns[index].field) {
                out.push_str(value);
                if !last {
                    out.extend(core::iter::repeat_n(' ', pad));
                }
            } else {
                out.extend(core::iter::repeat_n(' ', pad));
                out.push_str(value);
            }
        }
        text.push_str(out.trim_end());
        text.push('\n');
    };
    if columns.iter().any(|column| !column.header.is_empty()) {
        let headers: Vec<String> = columns.iter().map(|column| column.header.clone()).collect();
        line(&headers);
    }
    for row in &cells {
        line(row);
    }
    text
}

/// Which processes `ps` shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// `-A`/`-e`: every process.
    pub every: bool,
    /// `-d`: every process but session leaders.
    pub not_leaders: bool,
    /// `-p`: these pids.
    pub pids: Vec<i32>,
    /// `-u`: these effective user ids; `-U` real ones; `-G` real group ids.
    pub effective_users: Vec<u32>,
    pub real_users: Vec<u32>,
    pub real_groups: Vec<u32>,
}

impl Selection {
    /// Whether `facts` is shown. With no option, POSIX's default: the processes of the caller's
    /// effective user in the caller's session (this system tracks no controlling terminals, so
    /// the session stands for "the same terminal").
    #[must_use]
    pub fn selects(&self, facts: &ProcessFacts, own_user: u32, own_session: i32) -> bool {
        let listed = !self.pids.is_empty()
            || !self.effective_users.is_empty()
            || !self.real_users.is_empty()
            || !self.real_groups.is_empty();
        if self.every {
            return true;
        }
        if self.not_leaders && facts.session != facts.pid {
            return true;
        }
        if listed || self.not_leaders {
            return self.pids.contains(&facts.pid)
                || self.effective_users.contains(&facts.effective_user)
                || self.real_users.contains(&facts.real_user)
                || self.real_groups.contains(&facts.real_group);
        }
        facts.effective_user == own_user && facts.session == own_session
    }
}

/// Parses a list of numbers separated by commas or blanks.
///
/// # Errors
/// The word that is not a number.
pub fn parse_numbers<T: core::str::FromStr>(value: &str) -> Result<Vec<T>, String> {
    value
        .split([',', ' ', '\t'])
        .filter(|word| !word.is_empty())
        .map(|word| word.parse().map_err(|_| String::from(word)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = "42 (a (b) c) S 1 42 42 0 -1 0 0 0 0 0 150 50 0 0 20 0 1 0 1234 0 0 \
                        18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

    #[test]
    fn a_stat_line_with_parentheses_in_the_name_parses() {
        let facts = parse_stat(LINE).unwrap();
        assert_eq!(facts.pid, 42);
        assert_eq!(facts.name, "a (b) c");
        assert_eq!(facts.state, 'S');
        assert_eq!((facts.parent, facts.group, facts.session), (1, 42, 42));
        assert_eq!(facts.ticks, 200);
        assert_eq!(facts.start_ticks, 1234);
        assert_eq!(facts.nice, 0);
    }

    #[test]
    fn truncated_stat_lines_are_refused() {
        assert_eq!(parse_stat("42 (x) S 1 2"), None);
        assert_eq!(parse_stat("x"), None);
        assert_eq!(parse_stat(") 42 ("), None);
    }

    #[test]
    fn status_ids_are_read() {
        let mut facts = ProcessFacts::default();
        apply_status(
            &mut facts,
            "Name:\tx\nUid:\t1000\t0\t0\t0\nGid:\t5\t6\t6\t6\n",
        );
        assert_eq!((facts.real_user, facts.effective_user), (1000, 0));
        assert_eq!((facts.real_group, facts.effective_group), (5, 6));
    }

    #[test]
    fn format_lists_and_renamed_headers() {
        let columns = parse_format("pid,ppid comm").unwrap();
        assert_eq!(
            columns.iter().map(|c| c.field).collect::<Vec<_>>(),
            [Field::Pid, Field::Parent, Field::Name]
        );
        let renamed = parse_format("pid=Process Id").unwrap();
        assert_eq!(renamed[0].header, "Process Id");
        let bare = parse_format("pid=,comm=").unwrap();
        assert_eq!(bare.len(), 2);
        assert!(bare.iter().all(|column| column.header.is_empty()));
        assert_eq!(parse_format("pid=a,b").unwrap()[0].header, "a,b");
        assert_eq!(parse_format("pid,bogus"), Err(String::from("bogus")));
    }

    #[test]
    fn times_are_formatted_as_posix_says() {
        assert_eq!(cumulative_time(0), "00:00:00");
        assert_eq!(cumulative_time(3661), "01:01:01");
        assert_eq!(cumulative_time(90_061), "1-01:01:01");
        assert_eq!(elapsed_time(61), "01:01");
        assert_eq!(elapsed_time(3600), "01:00:00");
    }

    #[test]
    fn the_default_table() {
        let facts = parse_stat(LINE).unwrap();
        let text = render(&default_columns(), &[facts], Clock::default());
        assert_eq!(text, "PID TTY     TIME CMD\n 42 ?   00:00:02 a (b) c\n");
    }

    #[test]
    fn empty_headers_leave_the_header_line_out() {
        let facts = parse_stat(LINE).unwrap();
        let columns = parse_format("pid=").unwrap();
        assert_eq!(render(&columns, &[facts], Clock::default()), "42\n");
    }

    #[test]
    fn the_default_selection_is_own_user_and_session() {
        let mut facts = parse_stat(LINE).unwrap();
        let selection = Selection::default();
        assert!(selection.selects(&facts, 0, 42));
        assert!(!selection.selects(&facts, 0, 7));
        facts.effective_user = 1000;
        assert!(!selection.selects(&facts, 0, 42));
        let every = Selection {
            every: true,
            ..Selection::default()
        };
        assert!(every.selects(&facts, 0, 7));
    }

    #[test]
    fn zombies_and_empty_argument_lists() {
        let mut facts = parse_stat(LINE).unwrap();
        facts.arguments = b"sh\0-c\0echo hi\0".to_vec();
        assert_eq!(command_line(&facts), "sh -c echo hi");
        facts.arguments.clear();
        facts.state = 'Z';
        assert_eq!(command_line(&facts), "[a (b) c] <defunct>");
    }
}
