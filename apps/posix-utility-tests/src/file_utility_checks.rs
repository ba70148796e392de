//! Checks of the file utilities: mkdir, rmdir, rm, cp, mv, ln, touch, chmod, and the
//! multi-call program's links.

use libos::test_protocol::{Check, CheckOutcome};

use crate::ensure;
use crate::run::{exists, expect, expect_contents, read_file, scratch, write_file};

/// Every utility name is a hard link to `/bin/utils` (one inode, one copy of the bytes), and
/// `utils NAME` runs the utility too.
pub const MULTI_CALL_LINKS: Check = Check {
    name: "multi_call_links",
    covers: &[],
    run: multi_call_links,
};

fn multi_call_links() -> CheckOutcome {
    let program = libos::fs::stat("/bin/utils")
        .map_err(|error| alloc::format!("stat /bin/utils: {error}"))?;
    for name in ["ls", "sort", "[", "true", "grep"] {
        let path = alloc::format!("/bin/{name}");
        let linked =
            libos::fs::stat(&path).map_err(|error| alloc::format!("stat {path}: {error}"))?;
        ensure!(
            linked.st_ino == program.st_ino && linked.st_nlink == program.st_nlink,
            "{path} is inode {} with {} links; /bin/utils is inode {} with {}",
            linked.st_ino,
            linked.st_nlink,
            program.st_ino,
            program.st_nlink
        );
    }
    ensure!(
        program.st_nlink > 30,
        "/bin/utils has only {} links",
        program.st_nlink
    );
    expect(&["utils", "true"], 0)?;
    expect(&["utils", "false"], 1)?;
    expect(&["utils", "no-such-utility"], 127)
}

/// `mkdir`, `mkdir -p` (every missing ancestor; existing ones are fine), `-m`, and the errors.
pub const MKDIR: Check = Check {
    name: "mkdir",
    covers: &["utility_mkdir", "utility_mkdir:-p", "utility_mkdir:-m"],
    run: mkdir,
};

fn mkdir() -> CheckOutcome {
    let base = scratch("mkdir")?;
    let single = alloc::format!("{base}/one");
    expect(&["mkdir", &single], 0)?;
    ensure!(
        libos::fs::stat(&single).is_ok_and(|found| found.st_mode & 0o170_000 == 0o040_000),
        "mkdir made no directory"
    );
    expect(&["mkdir", &single], 1)?;
    let deep = alloc::format!("{base}/a/b/c");
    expect(&["mkdir", &deep], 1)?;
    ensure!(
        !exists(&alloc::format!("{base}/a")),
        "mkdir without -p made an ancestor"
    );
    expect(&["mkdir", "-p", &deep], 0)?;
    ensure!(exists(&deep), "mkdir -p did not make {deep}");
    expect(&["mkdir", "-p", &deep], 0)?;
    let moded = alloc::format!("{base}/moded");
    expect(&["mkdir", "-m", "700", &moded], 0)?;
    let mode = libos::fs::stat(&moded)
        .map_err(|error| alloc::format!("{error}"))?
        .st_mode
        & 0o7777;
    ensure!(mode == 0o700, "mkdir -m 700 made mode {mode:o}");
    let file = alloc::format!("{base}/file");
    write_file(&file, b"x")?;
    expect(&["mkdir", "-p", &alloc::format!("{file}/below")], 1)?;
    expect(&["mkdir"], 2)?;
    expect(&["rm", "-r", &base], 0)
}

/// `rmdir` removes empty directories only; `-p` removes the ancestors too.
pub const RMDIR: Check = Check {
    name: "rmdir",
    covers: &["utility_rmdir", "utility_rmdir:-p"],
    run: rmdir,
};

fn rmdir() -> CheckOutcome {
    let base = scratch("rmdir")?;
    let full = alloc::format!("{base}/full");
    expect(&["mkdir", "-p", &alloc::format!("{full}/inner")], 0)?;
    expect(&["rmdir", &full], 1)?;
    ensure!(
        exists(&full),
        "rmdir removed a directory that was not empty"
    );
    expect(&["rmdir", &alloc::format!("{full}/inner")], 0)?;
    expect(&["rmdir", &full], 0)?;
    ensure!(!exists(&full), "rmdir left {full}");
    expect(&["rmdir", &full], 1)?;
    let file = alloc::format!("{base}/file");
    write_file(&file, b"x")?;
    expect(&["rmdir", &file], 1)?;
    let chain = alloc::format!("{base}/p/q/r");
    expect(&["mkdir", "-p", &chain], 0)?;
    // rmdir -p removes r, q, p and the scratch directory, then fails at /tmp, which a
    // sentinel keeps from being empty.
    expect(&["rm", &file], 0)?;
    let sentinel = "/tmp/utility-rmdir-sentinel";
    write_file(sentinel, b"keeps /tmp")?;
    let status = crate::run::run(&["rmdir", "-p", &chain]);
    let _ = libos::fs::unlink(sentinel);
    ensure!(
        status == Ok(1),
        "rmdir -p up to a non-empty directory gave {status:?}"
    );
    ensure!(!exists(&base), "rmdir -p left the ancestors");
    ensure!(exists("/tmp"), "rmdir -p removed /tmp");
    Ok(())
}

/// `rm` of files; directories only with `-r`; `-f` quiet about missing files.
pub const RM: Check = Check {
    name: "rm",
    covers: &["utility_rm:files", "utility_rm:-r", "utility_rm:-f"],
    run: rm,
};

fn rm() -> CheckOutcome {
    let base = scratch("rm")?;
    let file = alloc::format!("{base}/file");
    write_file(&file, b"x")?;
    expect(&["rm", &file], 0)?;
    ensure!(!exists(&file), "rm left {file}");
    expect(&["rm", &file], 1)?;
    expect(&["rm", "-f", &file], 0)?;
    let tree = alloc::format!("{base}/tree");
    expect(&["mkdir", "-p", &alloc::format!("{tree}/a/b")], 0)?;
    write_file(&alloc::format!("{tree}/a/b/leaf"), b"leaf")?;
    write_file(&alloc::format!("{tree}/top"), b"top")?;
    expect(&["rm", &tree], 1)?;
    ensure!(exists(&tree), "rm without -r removed a directory");
    expect(&["rm", "-r", &tree], 0)?;
    ensure!(!exists(&tree), "rm -r left {tree}");
    expect(&["rm", "-r", &alloc::format!("{base}/.")], 1)?;
    expect(&["rm"], 2)?;
    expect(&["rm", "-r", &base], 0)?;
    ensure!(!exists(&base), "rm -r left {base}");
    Ok(())
}

/// `cp` of a file (contents and permission bits), into a directory, and `-r` of a tree.
pub const CP: Check = Check {
    name: "cp",
    covers: &["utility_cp:files", "utility_cp:-r", "utility_cp:-p"],
    run: cp,
};

fn cp() -> CheckOutcome {
    let base = scratch("cp")?;
    let source = alloc::format!("{base}/source");
    let mut big = alloc::vec::Vec::new();
    for index in 0..3000u32 {
        big.extend_from_slice(alloc::format!("line {index}\n").as_bytes());
    }
    write_file(&source, &big)?;
    libos::fs::chmod(&source, 0o640).map_err(|error| alloc::format!("chmod: {error}"))?;
    let copy = alloc::format!("{base}/copy");
    expect(&["cp", &source, &copy], 0)?;
    ensure!(
        read_file(&copy)? == big,
        "cp's copy differs ({} bytes)",
        big.len()
    );
    let mode = libos::fs::stat(&copy)
        .map_err(|error| alloc::format!("{error}"))?
        .st_mode
        & 0o777;
    ensure!(mode == 0o640, "cp made mode {mode:o}");
    let directory = alloc::format!("{base}/directory");
    expect(&["mkdir", &directory], 0)?;
    expect(&["cp", &source, &copy, &directory], 0)?;
    ensure!(
        read_file(&alloc::format!("{directory}/source"))? == big,
        "cp into a directory"
    );
    ensure!(
        exists(&alloc::format!("{directory}/copy")),
        "cp of two files into a directory"
    );
    expect(&["cp", &directory, &alloc::format!("{base}/tree")], 1)?;
    expect(&["cp", "-r", &directory, &alloc::format!("{base}/tree")], 0)?;
    ensure!(
        read_file(&alloc::format!("{base}/tree/copy"))? == big,
        "cp -r lost a file"
    );
    // -p keeps the times, owner and mode.
    expect(&["touch", "-t", "202311142213.20", &source], 0)?;
    libos::fs::chown(&source, 1000, 100).map_err(|error| alloc::format!("chown: {error}"))?;
    let kept = alloc::format!("{base}/kept");
    expect(&["cp", "-p", &source, &kept], 0)?;
    let (from, to) = (
        libos::fs::stat(&source).map_err(|error| alloc::format!("{error}"))?,
        libos::fs::stat(&kept).map_err(|error| alloc::format!("{error}"))?,
    );
    ensure!(
        (to.st_mtime, to.st_atime, to.st_uid, to.st_gid, to.st_mode)
            == (1_700_000_000, 1_700_000_000, 1000, 100, from.st_mode),
        "cp -p gave times {}/{}, owner {}:{}, mode {:o}",
        to.st_mtime,
        to.st_atime,
        to.st_uid,
        to.st_gid,
        to.st_mode
    );
    expect(&["cp", &alloc::format!("{base}/missing"), &copy], 1)?;
    expect(&["cp", &source], 2)?;
    expect(
        &[
            "cp",
            &source,
            &copy,
            &alloc::format!("{base}/not-a-directory"),
        ],
        1,
    )?;
    expect(&["rm", "-r", &base], 0)
}

/// `mv` renames a file (over an existing one too) and moves files into a directory.
pub const MV: Check = Check {
    name: "mv",
    covers: &["utility_mv:files", "utility_mv:directories"],
    run: mv,
};

fn mv() -> CheckOutcome {
    let base = scratch("mv")?;
    let first = alloc::format!("{base}/first");
    let second = alloc::format!("{base}/second");
    write_file(&first, b"one")?;
    expect(&["mv", &first, &second], 0)?;
    ensure!(!exists(&first), "mv left the old name");
    expect_contents(&second, "one")?;
    write_file(&first, b"two")?;
    expect(&["mv", &first, &second], 0)?;
    expect_contents(&second, "two")?;
    let directory = alloc::format!("{base}/directory");
    expect(&["mkdir", &directory], 0)?;
    expect(&["mv", &second, &directory], 0)?;
    expect_contents(&alloc::format!("{directory}/second"), "two")?;
    expect(&["mv", &first, &second], 1)?;
    // A directory moves with its contents; it cannot go into itself or over a non-empty one.
    let moved = alloc::format!("{base}/moved");
    expect(&["mv", &directory, &moved], 0)?;
    expect_contents(&alloc::format!("{moved}/second"), "two")?;
    ensure!(!exists(&directory), "mv left the old directory");
    expect(&["mv", &moved, &alloc::format!("{moved}/inside")], 1)?;
    expect(&["mkdir", "-p", &alloc::format!("{base}/full/x")], 0)?;
    expect(&["mkdir", &alloc::format!("{base}/empty")], 0)?;
    expect(
        &[
            "mv",
            &alloc::format!("{base}/empty"),
            &alloc::format!("{base}/full"),
        ],
        0,
    )?;
    ensure!(
        exists(&alloc::format!("{base}/full/empty")),
        "mv into a directory"
    );
    expect(&["rm", "-r", &base], 0)
}

/// `ln` makes a hard link (one inode, two links) and `ln -s` a symbolic link; `-f` replaces.
pub const LN: Check = Check {
    name: "ln",
    covers: &["utility_ln:hard", "utility_ln:-s", "utility_ln:-f"],
    run: ln,
};

fn ln() -> CheckOutcome {
    let base = scratch("ln")?;
    let file = alloc::format!("{base}/file");
    write_file(&file, b"data")?;
    let hard = alloc::format!("{base}/hard");
    expect(&["ln", &file, &hard], 0)?;
    let (original, linked) = (
        libos::fs::stat(&file).map_err(|error| alloc::format!("{error}"))?,
        libos::fs::stat(&hard).map_err(|error| alloc::format!("{error}"))?,
    );
    ensure!(
        original.st_ino == linked.st_ino && linked.st_nlink == 2,
        "ln made no hard link"
    );
    expect(&["ln", &file, &hard], 1)?;
    let soft = alloc::format!("{base}/soft");
    expect(&["ln", "-s", "file", &soft], 0)?;
    let mut buffer = [0u8; 64];
    let length = libos::fs::readlink(&soft, &mut buffer)
        .map_err(|error| alloc::format!("readlink: {error}"))?;
    ensure!(
        &buffer[..length] == b"file",
        "ln -s made a link to {:?}",
        &buffer[..length]
    );
    expect_contents(&soft, "data")?;
    write_file(&alloc::format!("{base}/other"), b"other")?;
    expect(&["ln", "-f", &alloc::format!("{base}/other"), &hard], 0)?;
    expect_contents(&hard, "other")?;
    expect(&["rm", "-r", &base], 0)
}

/// `touch` creates missing files and sets times: now, `-t`, `-d`, `-r`, only one with `-a` or
/// `-m`; `-c` creates nothing.
pub const TOUCH: Check = Check {
    name: "touch",
    covers: &["utility_touch"],
    run: touch,
};

/// A file's access and modification times, as (seconds, nanoseconds).
type Times = ((i64, i64), (i64, i64));

fn times(path: &str) -> Result<Times, alloc::string::String> {
    let found = libos::fs::stat(path).map_err(|error| alloc::format!("stat {path}: {error}"))?;
    Ok((
        (found.st_atime, found.st_atime_nsec),
        (found.st_mtime, found.st_mtime_nsec),
    ))
}

fn touch() -> CheckOutcome {
    let base = scratch("touch")?;
    let file = alloc::format!("{base}/new");
    expect(&["touch", &file], 0)?;
    let made = libos::fs::stat(&file).map_err(|error| alloc::format!("{error}"))?;
    ensure!(
        made.st_size == 0 && made.st_mode & 0o170_000 == 0o100_000,
        "touch made no empty file"
    );
    expect(&["touch", "-c", &alloc::format!("{base}/absent")], 0)?;
    ensure!(
        !exists(&alloc::format!("{base}/absent")),
        "touch -c made a file"
    );
    expect(&["touch", &alloc::format!("{base}/missing/file")], 1)?;
    // 2023-11-14 22:13:20 UTC is 1,700,000,000.
    expect(&["touch", "-t", "202311142213.20", &file], 0)?;
    ensure!(
        times(&file)? == ((1_700_000_000, 0), (1_700_000_000, 0)),
        "touch -t gave {:?}",
        times(&file)?
    );
    expect(&["touch", "-m", "-d", "2000-01-01T00:00:00.5Z", &file], 0)?;
    ensure!(
        times(&file)? == ((1_700_000_000, 0), (946_684_800, 500_000_000)),
        "touch -m -d gave {:?}",
        times(&file)?
    );
    expect(&["touch", "-a", "-t", "7001010000", &file], 0)?;
    ensure!(
        times(&file)? == ((0, 0), (946_684_800, 500_000_000)),
        "touch -a -t gave {:?}",
        times(&file)?
    );
    let other = alloc::format!("{base}/other");
    expect(&["touch", "-r", &file, &other], 0)?;
    ensure!(
        times(&other)? == times(&file)?,
        "touch -r gave {:?}",
        times(&other)?
    );
    let before = libos::time::clock_gettime(libposix_sys::clock::CLOCK_REALTIME)
        .map_err(|error| alloc::format!("{error}"))?
        .tv_sec;
    expect(&["touch", &file], 0)?;
    let ((accessed, _), (modified, _)) = times(&file)?;
    ensure!(
        accessed >= before && modified >= before,
        "touch of an existing file left {accessed}, {modified} (before {before})"
    );
    expect(&["touch", "-t", "2023111422", &file], 2)?;
    expect(&["touch", "-d", "yesterday", &file], 2)?;
    expect(&["rm", "-r", &base], 0)
}

/// `chown` as root gives a file in /tmp away for real (`1000:1000`, seen by `lstat`): numeric
/// owners and groups (`OWNER`, `OWNER:GROUP`, `:GROUP`), `-R`, `-h`; names are refused (no user
/// database yet).
pub const CHOWN: Check = Check {
    name: "chown",
    covers: &[
        "utility_chown",
        "utility_chown:numeric",
        "utility_chown:-R",
        "utility_chown:-h",
    ],
    run: chown,
};

fn chown() -> CheckOutcome {
    ensure!(
        libos::process::credentials::geteuid() == 0,
        "the utility checks run as root, not {}",
        libos::process::credentials::geteuid()
    );
    let base = scratch("chown")?;
    let file = alloc::format!("{base}/file");
    write_file(&file, b"x")?;
    let owner = |path: &str| {
        libos::fs::lstat(path)
            .map(|found| (found.st_uid, found.st_gid))
            .map_err(|error| alloc::format!("{error}"))
    };
    ensure!(owner(&file)? == (0, 0), "a new file is {:?}", owner(&file)?);
    expect(&["chown", "1000:1000", &file], 0)?;
    ensure!(
        owner(&file)? == (1000, 1000),
        "chown 1000:1000 gave {:?}",
        owner(&file)?
    );
    expect(&["chown", "0:0", &file], 0)?;
    expect(&["chown", "1000", &file], 0)?;
    ensure!(
        owner(&file)? == (1000, 0),
        "chown 1000 gave {:?}",
        owner(&file)?
    );
    expect(&["chown", "1001:50", &file], 0)?;
    ensure!(
        owner(&file)? == (1001, 50),
        "chown 1001:50 gave {:?}",
        owner(&file)?
    );
    expect(&["chown", ":60", &file], 0)?;
    ensure!(
        owner(&file)? == (1001, 60),
        "chown :60 gave {:?}",
        owner(&file)?
    );
    let tree = alloc::format!("{base}/tree");
    expect(&["mkdir", "-p", &alloc::format!("{tree}/inner")], 0)?;
    write_file(&alloc::format!("{tree}/inner/leaf"), b"x")?;
    expect(&["chown", "-R", "7:8", &tree], 0)?;
    for path in [
        tree.clone(),
        alloc::format!("{tree}/inner"),
        alloc::format!("{tree}/inner/leaf"),
    ] {
        ensure!(
            owner(&path)? == (7, 8),
            "chown -R left {path} at {:?}",
            owner(&path)?
        );
    }
    let link = alloc::format!("{base}/link");
    libos::fs::symlink("file", &link).map_err(|error| alloc::format!("symlink: {error}"))?;
    expect(&["chown", "-h", "9", &link], 0)?;
    ensure!(
        owner(&link)? == (9, 0) && owner(&file)? == (1001, 60),
        "chown -h changed {:?} / {:?}",
        owner(&link)?,
        owner(&file)?
    );
    expect(&["chown", "nobody", &file], 1)?;
    expect(&["chown", "1000", &alloc::format!("{base}/missing")], 1)?;
    expect(&["chown", "1000"], 2)?;
    expect(&["rm", "-r", &base], 0)
}

/// `chmod` with octal and symbolic modes (`u+x`, `go-r`, `a=r`, `+X`), and `-R`.
pub const CHMOD: Check = Check {
    name: "chmod",
    covers: &[
        "utility_chmod",
        "utility_chmod:symbolic",
        "utility_chmod:-R",
    ],
    run: chmod,
};

fn chmod() -> CheckOutcome {
    let base = scratch("chmod")?;
    let file = alloc::format!("{base}/file");
    write_file(&file, b"x")?;
    let mode = |path: &str| {
        libos::fs::stat(path)
            .map(|found| found.st_mode & 0o7777)
            .map_err(|error| alloc::format!("{error}"))
    };
    for (change, expected) in [
        ("644", 0o644),
        ("u+x", 0o744),
        ("go-r", 0o700),
        ("a=r", 0o444),
        ("u+w,g+rw", 0o664),
        ("4755", 0o4755),
        ("a-s", 0o755),
        ("o=", 0o750),
    ] {
        expect(&["chmod", change, &file], 0)?;
        let now = mode(&file)?;
        ensure!(
            now == expected,
            "chmod {change} gave {now:o}, expected {expected:o}"
        );
    }
    expect(&["chmod", "bogus", &file], 2)?;
    expect(&["chmod", "644", &alloc::format!("{base}/missing")], 1)?;
    let tree = alloc::format!("{base}/tree");
    expect(&["mkdir", "-p", &alloc::format!("{tree}/inner")], 0)?;
    write_file(&alloc::format!("{tree}/inner/leaf"), b"x")?;
    expect(&["chmod", "-R", "go-rwx", &tree], 0)?;
    for path in [
        tree.clone(),
        alloc::format!("{tree}/inner"),
        alloc::format!("{tree}/inner/leaf"),
    ] {
        let now = mode(&path)?;
        ensure!(now & 0o077 == 0, "chmod -R left {path} at {now:o}");
    }
    expect(&["rm", "-r", &base], 0)
}
