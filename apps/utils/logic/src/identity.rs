//! `id` and `uname` output. There is no user or group database (`/etc/passwd`), so `id`
//! shows numbers only, and `-n` prints the number as the name, as busybox does without one.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// A process's user and group ids, as `getuid`, `geteuid`, `getgid`, `getegid` and
/// `getgroups` answer them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ids {
    /// The real user id.
    pub real_user: u32,
    /// The effective user id.
    pub effective_user: u32,
    /// The real group id.
    pub real_group: u32,
    /// The effective group id.
    pub effective_group: u32,
    /// The supplementary group ids.
    pub supplementary: Vec<u32>,
}

impl Ids {
    /// Every group the process is in: the effective group, the real group when it differs, then
    /// the supplementary groups not already named.
    #[must_use]
    pub fn all_groups(&self) -> Vec<u32> {
        let mut groups = Vec::new();
        for group in [self.effective_group, self.real_group]
            .into_iter()
            .chain(self.supplementary.iter().copied())
        {
            if !groups.contains(&group) {
                groups.push(group);
            }
        }
        groups
    }
}

/// What `id` was asked to print.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IdRequest {
    /// `-u`: only the user id.
    pub user: bool,
    /// `-g`: only the group id.
    pub group: bool,
    /// `-G`: every group id.
    pub groups: bool,
    /// `-n`: names instead of numbers (the number, with no user database).
    pub name: bool,
    /// `-r`: the real id instead of the effective one.
    pub real: bool,
}

/// Why `id` refused its options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdError {
    /// More than one of `-u`, `-g`, `-G`.
    MoreThanOneChoice,
    /// `-n` or `-r` without `-u`, `-g` or `-G`.
    OnlyWithChoice,
}

impl core::fmt::Display for IdError {
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        formatter.write_str(match self {
            IdError::MoreThanOneChoice => "cannot print \"only\" of more than one choice",
            IdError::OnlyWithChoice => "cannot print only names or real IDs in default format",
        })
    }
}

/// The line `id` prints for `ids` (without the newline).
///
/// # Errors
/// [`IdError`] for conflicting options.
pub fn id_line(ids: &Ids, request: IdRequest) -> Result<String, IdError> {
    let chosen = [request.user, request.group, request.groups]
        .into_iter()
        .filter(|chosen| *chosen)
        .count();
    if chosen > 1 {
        return Err(IdError::MoreThanOneChoice);
    }
    let pick = |real: u32, effective: u32| if request.real { real } else { effective };
    if request.user {
        return Ok(pick(ids.real_user, ids.effective_user).to_string());
    }
    if request.group {
        return Ok(pick(ids.real_group, ids.effective_group).to_string());
    }
    let groups: Vec<String> = ids.all_groups().iter().map(u32::to_string).collect();
    if request.groups {
        return Ok(groups.join(" "));
    }
    if request.name || request.real {
        return Err(IdError::OnlyWithChoice);
    }
    let mut line = alloc::format!("uid={} gid={}", ids.real_user, ids.real_group);
    if ids.effective_user != ids.real_user {
        line.push_str(&alloc::format!(" euid={}", ids.effective_user));
    }
    if ids.effective_group != ids.real_group {
        line.push_str(&alloc::format!(" egid={}", ids.effective_group));
    }
    line.push_str(" groups=");
    line.push_str(&groups.join(","));
    Ok(line)
}

/// The fields `uname` can print, in its output order: system name (`-s`), node name (`-n`),
/// release (`-r`), version (`-v`), machine (`-m`).
pub const UNAME_LETTERS: [char; 5] = ['s', 'n', 'r', 'v', 'm'];

/// The line `uname` prints: the `chosen` fields of `fields` (ordered as [`UNAME_LETTERS`])
/// separated by spaces; the system name alone when none is chosen.
#[must_use]
pub fn uname_line(fields: [&str; 5], chosen: [bool; 5]) -> String {
    let any = chosen.iter().any(|chosen| *chosen);
    let picked: Vec<&str> = fields
        .iter()
        .zip(chosen)
        .enumerate()
        .filter(|(index, (_, chosen))| *chosen || (!any && *index == 0))
        .map(|(_, (field, _))| *field)
        .collect();
    picked.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn root() -> Ids {
        Ids {
            real_user: 0,
            effective_user: 0,
            real_group: 0,
            effective_group: 0,
            supplementary: vec![],
        }
    }

    #[test]
    fn the_default_format_is_posix() {
        assert_eq!(
            id_line(&root(), IdRequest::default()).unwrap(),
            "uid=0 gid=0 groups=0"
        );
        let ids = Ids {
            real_user: 1000,
            effective_user: 0,
            real_group: 100,
            effective_group: 50,
            supplementary: vec![7, 50, 8],
        };
        assert_eq!(
            id_line(&ids, IdRequest::default()).unwrap(),
            "uid=1000 gid=100 euid=0 egid=50 groups=50,100,7,8"
        );
    }

    #[test]
    fn single_ids_and_their_real_variants() {
        let ids = Ids {
            real_user: 1000,
            effective_user: 0,
            real_group: 100,
            effective_group: 50,
            supplementary: vec![7],
        };
        let request = |user, group, groups, name, real| IdRequest {
            user,
            group,
            groups,
            name,
            real,
        };
        let line = |request| id_line(&ids, request).unwrap();
        assert_eq!(line(request(true, false, false, false, false)), "0");
        assert_eq!(line(request(true, false, false, false, true)), "1000");
        assert_eq!(line(request(true, false, false, true, false)), "0");
        assert_eq!(line(request(false, true, false, false, false)), "50");
        assert_eq!(line(request(false, true, false, true, true)), "100");
        assert_eq!(line(request(false, false, true, false, false)), "50 100 7");
        assert_eq!(
            id_line(&ids, request(true, true, false, false, false)),
            Err(IdError::MoreThanOneChoice)
        );
        assert_eq!(
            id_line(&ids, request(false, false, false, true, false)),
            Err(IdError::OnlyWithChoice)
        );
        assert_eq!(
            id_line(&ids, request(false, false, false, false, true)),
            Err(IdError::OnlyWithChoice)
        );
    }

    #[test]
    fn uname_prints_the_chosen_fields_in_order() {
        let fields = ["S", "N", "R", "V", "M"];
        assert_eq!(uname_line(fields, [false; 5]), "S");
        assert_eq!(uname_line(fields, [true; 5]), "S N R V M");
        assert_eq!(uname_line(fields, [false, false, true, false, true]), "R M");
        assert_eq!(uname_line(fields, [false, true, false, false, false]), "N");
    }
}
