//! `ps`, reading `/proc`: its default columns and selection, `-e`, `-f`, `-o` and `-p`, checked
//! against the pids and parents the process calls give.

use alloc::vec::Vec;

use libos::process::identity::{getpid, getppid};
use libos::test_protocol::{Check, CheckOutcome};

use crate::ensure;
use crate::run::capture;

/// Our name as `/proc/PID/comm` holds it: `posix-utility-tests` cut to 15 bytes.
const OWN_NAME: &str = "posix-utility-t";

fn lines(text: &str) -> Vec<Vec<&str>> {
    text.lines()
        .map(|line| line.split_whitespace().collect())
        .collect()
}

/// `ps` with no options: POSIX's `PID TTY TIME CMD`, this user's processes of this session
/// (ours and the `ps` itself among them).
pub const PS_LISTS_SELF: Check = Check {
    name: "ps_lists_self",
    covers: &["utility_ps:lists-self"],
    run: ps_lists_self,
};

fn ps_lists_self() -> CheckOutcome {
    let pid = getpid().map_err(|error| alloc::format!("getpid: {error}"))?;
    let listed = capture(&["ps"], None)?;
    ensure!(
        listed.status == 0,
        "ps exited {}: {:?}",
        listed.status,
        listed.errors
    );
    let rows = lines(&listed.output);
    ensure!(
        rows.first().map(Vec::as_slice) == Some(&["PID", "TTY", "TIME", "CMD"][..]),
        "header of {:?}",
        listed.output
    );
    let own = alloc::format!("{pid}");
    ensure!(
        rows.iter()
            .any(|row| row.first() == Some(&own.as_str()) && row.last() == Some(&OWN_NAME)),
        "no row for us ({pid}) in {:?}",
        listed.output
    );
    ensure!(
        rows.iter().any(|row| row.last() == Some(&"ps")),
        "no row for ps in {:?}",
        listed.output
    );
    ensure!(
        rows.iter()
            .skip(1)
            .all(|row| row.len() == 4 && row[1] == "?"),
        "rows of {:?}",
        listed.output
    );
    Ok(())
}

/// `ps -e -f`: every process (init too) with `UID PID PPID C STIME TTY TIME CMD` and the whole
/// command line.
pub const PS_EVERY_FULL: Check = Check {
    name: "ps_every_full",
    covers: &["utility_ps:-e", "utility_ps:-f"],
    run: ps_every_full,
};

fn ps_every_full() -> CheckOutcome {
    let pid = getpid().map_err(|error| alloc::format!("getpid: {error}"))?;
    let parent = getppid().map_err(|error| alloc::format!("getppid: {error}"))?;
    let listed = capture(&["ps", "-e", "-f"], None)?;
    ensure!(listed.status == 0, "ps -ef exited {}", listed.status);
    let rows = lines(&listed.output);
    ensure!(
        rows.first().map(Vec::as_slice)
            == Some(&["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"][..]),
        "header of {:?}",
        listed.output
    );
    ensure!(
        rows.iter()
            .any(|row| row.get(1) == Some(&"1") && row.get(7) == Some(&"/sbin/init")),
        "no init in {:?}",
        listed.output
    );
    let own = alloc::format!("{pid}");
    let parent = alloc::format!("{parent}");
    ensure!(
        rows.iter().any(|row| row.get(1) == Some(&own.as_str())
            && row.get(2) == Some(&parent.as_str())
            && row[7..].first() == Some(&"/bin/posix-utility-tests")),
        "no full row for us in {:?}",
        listed.output
    );
    // The `ps` itself shows its arguments.
    ensure!(
        rows.iter().any(|row| row[7..] == ["ps", "-e", "-f"]),
        "no `ps -e -f` row in {:?}",
        listed.output
    );
    Ok(())
}

/// `ps -o pid=,ppid=,comm= -p PID`: only the named columns, no header when every header is
/// empty, only the named process; an unknown column is a usage error.
pub const PS_FORMAT: Check = Check {
    name: "ps_format",
    covers: &["utility_ps:-o", "utility_ps:-p"],
    run: ps_format,
};

fn ps_format() -> CheckOutcome {
    let pid = getpid().map_err(|error| alloc::format!("getpid: {error}"))?;
    let parent = getppid().map_err(|error| alloc::format!("getppid: {error}"))?;
    let own = alloc::format!("{pid}");
    let listed = capture(&["ps", "-o", "pid=,ppid=,comm=", "-p", &own], None)?;
    let expected = alloc::format!("{pid} {parent} {OWN_NAME}\n");
    ensure!(
        listed.status == 0 && listed.output == expected,
        "ps -o gave {:?} (status {}), expected {expected:?}",
        listed.output,
        listed.status
    );
    let headed = capture(&["ps", "-o", "pid,stat", "-p", "1"], None)?;
    let rows = lines(&headed.output);
    ensure!(
        rows.len() == 2 && rows[0] == ["PID", "STAT"] && rows[1][0] == "1",
        "ps -o pid,stat -p 1: {:?}",
        headed.output
    );
    let bad = capture(&["ps", "-o", "bogus"], None)?;
    ensure!(
        bad.status == 2 && bad.errors.starts_with("ps: -o: invalid value 'bogus'"),
        "ps -o bogus: {} {:?}",
        bad.status,
        bad.errors
    );
    Ok(())
}

/// `mount -t tmpfs none DIR`, `mount` printing the table (`… on DIR type tmpfs (rw)`) and
/// `umount DIR`; an unknown type is status 32 with the error.
pub const MOUNT: Check = Check {
    name: "mount_umount",
    covers: &["utility_mount:-t", "utility_mount:table", "utility_umount"],
    run: mount_umount,
};

fn mount_umount() -> CheckOutcome {
    let directory = "/tmp/utility-mount";
    let _ = libos::fs::mkdir(directory, 0o755);
    let result = (|| {
        let mounted = capture(&["mount", "-t", "tmpfs", "none", directory], None)?;
        ensure!(
            mounted.status == 0,
            "mount exited {}: {:?}",
            mounted.status,
            mounted.errors
        );
        let table = capture(&["mount"], None)?;
        ensure!(
            table.status == 0
                && table.output.contains("rootfs on / type rootfs (rw)\n")
                && table
                    .output
                    .contains(&alloc::format!("tmpfs on {directory} type tmpfs (rw)\n")),
            "mount printed {:?}",
            table.output
        );
        let unmounted = capture(&["umount", directory], None)?;
        ensure!(
            unmounted.status == 0,
            "umount exited {}: {:?}",
            unmounted.status,
            unmounted.errors
        );
        let again = capture(&["umount", directory], None)?;
        ensure!(
            again.status == 32
                && again.errors == alloc::format!("umount: {directory}: Invalid argument\n"),
            "umount of no mount point: {} {:?}",
            again.status,
            again.errors
        );
        let bad = capture(&["mount", "-t", "ext4", "none", directory], None)?;
        ensure!(
            bad.status == 32
                && bad.errors == alloc::format!("mount: {directory}: No such device\n"),
            "mount -t ext4: {} {:?}",
            bad.status,
            bad.errors
        );
        Ok(())
    })();
    let _ = libos::fs::rmdir(directory);
    result
}
