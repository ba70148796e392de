//! Checks of what utilities print, captured through pipes on their standard output and error
//! (descriptors cross `posix_spawn`), with standard input from a file.

use alloc::string::String;

use libos::test_protocol::{Check, CheckOutcome};

use crate::ensure;
use crate::run::{
    capture, capture_with_environment, expect, expect_contents, expect_error, expect_output,
    scratch, write_file,
};

/// `ls`: sorted names, hidden ones with `-a`, `-d`, `-R`, and `-l`'s columns.
pub const LS: Check = Check {
    name: "ls_output",
    covers: &[
        "utility_ls:sorted",
        "utility_ls:-l",
        "utility_ls:-a",
        "utility_ls:-d",
        "utility_ls:-R",
    ],
    run: ls,
};

fn ls() -> CheckOutcome {
    let base = scratch("ls")?;
    for name in ["b", "a", ".hidden"] {
        write_file(&alloc::format!("{base}/{name}"), b"hello")?;
    }
    expect(&["mkdir", &alloc::format!("{base}/sub")], 0)?;
    write_file(&alloc::format!("{base}/sub/c"), b"")?;
    expect_output(&["ls", &base], None, "a\nb\nsub\n", 0)?;
    expect_output(&["ls", "-a", &base], None, ".\n..\n.hidden\na\nb\nsub\n", 0)?;
    expect_output(&["ls", "-d", &base], None, &alloc::format!("{base}\n"), 0)?;
    expect_output(
        &["ls", "-R", &base],
        None,
        &alloc::format!("{base}:\na\nb\nsub\n\n{base}/sub:\nc\n"),
        0,
    )?;
    let file = alloc::format!("{base}/a");
    let long = capture(&["ls", "-l", &file], None)?;
    ensure!(
        long.status == 0
            && long.output.starts_with("-rw-r--r-- 1 0 0 5 ")
            && long.output.ends_with(&alloc::format!(" {file}\n")),
        "ls -l {file} wrote {:?}",
        long.output
    );
    let listing = capture(&["ls", "-l", &base], None)?;
    // Columns: mode, links, owner, group, size, three time fields, name (sizes right-aligned).
    let rows: alloc::vec::Vec<alloc::vec::Vec<&str>> = listing
        .output
        .lines()
        .map(|line| line.split_whitespace().collect())
        .collect();
    let row = |index: usize| {
        rows.get(index)
            .filter(|row| row.len() == 9)
            .map(|row| [row[0], row[1], row[4], row[8]])
    };
    ensure!(
        rows.len() == 4
            && rows[0].first() == Some(&"total")
            && row(1) == Some(["-rw-r--r--", "1", "5", "a"])
            && row(2) == Some(["-rw-r--r--", "1", "5", "b"])
            && row(3).is_some_and(|row| row[0] == "drwxr-xr-x" && row[1] == "2" && row[3] == "sub"),
        "ls -l {base} wrote {:?}",
        listing.output
    );
    // The acceptance's `ls -l /bin`: the programs with their modes, links and sizes.
    let programs = capture(&["ls", "-l", "/bin"], None)?;
    let utils = libos::fs::stat("/bin/utils").map_err(|error| alloc::format!("{error}"))?;
    let links = alloc::format!("{}", utils.st_nlink);
    let size = alloc::format!("{}", utils.st_size);
    ensure!(
        programs.output.lines().any(|line| {
            let columns: alloc::vec::Vec<&str> = line.split_whitespace().collect();
            columns.len() == 9
                && columns[0] == "-rwxr-xr-x"
                && columns[1] == links
                && columns[4] == size
                && columns[8] == "sort"
        }),
        "ls -l /bin has no line for sort with {links} links and {size} bytes: {:?}",
        programs
            .output
            .lines()
            .take(3)
            .collect::<alloc::vec::Vec<_>>()
    );
    expect_error(
        &["ls", &alloc::format!("{base}/missing")],
        &alloc::format!("ls: cannot access '{base}/missing': No such file or directory\n"),
        2,
    )?;
    expect(&["rm", "-r", &base], 0)
}

/// `ls`'s other options: `-r`, `-S`, `-A`, `-F`, `-p`, `-i`, `-g`/`-o`, `-s`, `-1`, `-L`.
pub const LS_OPTIONS: Check = Check {
    name: "ls_options_output",
    covers: &[
        "utility_ls:-r",
        "utility_ls:-S",
        "utility_ls:-A",
        "utility_ls:-F",
        "utility_ls:-p",
        "utility_ls:-i",
        "utility_ls:-g",
        "utility_ls:-o",
        "utility_ls:-s",
        "utility_ls:-1",
        "utility_ls:-t",
    ],
    run: ls_options,
};

fn ls_options() -> CheckOutcome {
    let base = scratch("ls-options")?;
    write_file(&alloc::format!("{base}/small"), b"s")?;
    write_file(&alloc::format!("{base}/big"), &[b'b'; 100])?;
    write_file(&alloc::format!("{base}/run"), b"#!")?;
    write_file(&alloc::format!("{base}/.dot"), b"")?;
    libos::fs::chmod(&alloc::format!("{base}/run"), 0o755)
        .map_err(|error| alloc::format!("chmod: {error}"))?;
    expect(&["mkdir", &alloc::format!("{base}/d")], 0)?;
    libos::fs::symlink("small", &alloc::format!("{base}/link"))
        .map_err(|error| alloc::format!("symlink: {error}"))?;
    expect_output(&["ls", "-1", &base], None, "big\nd\nlink\nrun\nsmall\n", 0)?;
    expect_output(&["ls", "-r", &base], None, "small\nrun\nlink\nd\nbig\n", 0)?;
    let directory_size = libos::fs::stat(&alloc::format!("{base}/d"))
        .map_err(|error| alloc::format!("{error}"))?
        .st_size;
    let by_size = if directory_size > 100 {
        "d\nbig\nlink\nrun\nsmall\n"
    } else {
        "big\nd\nlink\nrun\nsmall\n"
    };
    expect_output(&["ls", "-S", &base], None, by_size, 0)?;
    expect_output(
        &["ls", "-A", &base],
        None,
        ".dot\nbig\nd\nlink\nrun\nsmall\n",
        0,
    )?;
    expect_output(
        &["ls", "-F", &base],
        None,
        "big\nd/\nlink@\nrun*\nsmall\n",
        0,
    )?;
    expect_output(&["ls", "-p", &base], None, "big\nd/\nlink\nrun\nsmall\n", 0)?;
    let small = alloc::format!("{base}/small");
    let inode = libos::fs::stat(&small)
        .map_err(|error| alloc::format!("{error}"))?
        .st_ino;
    expect_output(
        &["ls", "-i", &small],
        None,
        &alloc::format!("{inode} {small}\n"),
        0,
    )?;
    for (option, columns) in [("-g", 8), ("-o", 8), ("-go", 7), ("-l", 9)] {
        let captured = capture(&["ls", option, &small], None)?;
        let words: alloc::vec::Vec<&str> = captured.output.split_whitespace().collect();
        ensure!(
            words.len() == columns && words[0] == "-rw-r--r--" && words[columns - 1] == small,
            "ls {option} wrote {:?}",
            captured.output
        );
    }
    let blocks = capture(&["ls", "-s", &base], None)?;
    ensure!(
        blocks.output.starts_with("total ") && blocks.output.lines().count() == 6,
        "ls -s wrote {:?}",
        blocks.output
    );
    expect_output(
        &["ls", "-dF", &alloc::format!("{base}/d")],
        None,
        &alloc::format!("{base}/d/\n"),
        0,
    )?;
    // -t: newest first, by the times touch -t set.
    for (name, time) in [
        ("small", "202001010000"),
        ("big", "202101010000"),
        ("run", "201901010000"),
    ] {
        expect(&["touch", "-t", time, &alloc::format!("{base}/{name}")], 0)?;
    }
    expect(
        &[
            "touch",
            "-h",
            "-t",
            "201801010000",
            &alloc::format!("{base}/link"),
        ],
        2,
    )?;
    let newest = capture(&["ls", "-t", &base], None)?;
    let order: alloc::vec::Vec<&str> = newest
        .output
        .lines()
        .filter(|name| ["small", "big", "run"].contains(name))
        .collect();
    ensure!(
        order == ["big", "small", "run"],
        "ls -t wrote {:?}",
        newest.output
    );
    let long = capture(&["ls", "-l", &alloc::format!("{base}/big")], None)?;
    ensure!(
        long.output.contains(" Jan  1  2021 "),
        "ls -l shows {:?} for a 2021 time",
        long.output
    );
    expect_output(&["ls", "-z"], None, "", 2)?;
    expect(&["rm", "-r", &base], 0)
}

/// `cat` of files and `-` (standard input) in order; errors name the file.
pub const CAT: Check = Check {
    name: "cat_output",
    covers: &["utility_cat"],
    run: cat,
};

fn cat() -> CheckOutcome {
    let base = scratch("cat")?;
    let (first, second) = (alloc::format!("{base}/1"), alloc::format!("{base}/2"));
    write_file(&first, b"one\n")?;
    write_file(&second, b"two")?;
    expect_output(
        &["cat", &first, "-", &second],
        Some("stdin\n"),
        "one\nstdin\ntwo",
        0,
    )?;
    expect_output(&["cat"], Some("only input\n"), "only input\n", 0)?;
    let mut large = String::new();
    for index in 0..5000 {
        large.push_str(&alloc::format!("{index}\n"));
    }
    write_file(&first, large.as_bytes())?;
    expect_output(&["cat", &first], None, &large, 0)?;
    let missing = alloc::format!("{base}/missing");
    let captured = capture(&["cat", &missing, &second], None)?;
    ensure!(
        captured.status == 1
            && captured.output == "two"
            && captured.errors == alloc::format!("cat: {missing}: No such file or directory\n"),
        "cat of a missing file then another: {:?} {:?} {}",
        captured.output,
        captured.errors,
        captured.status
    );
    expect(&["rm", "-r", &base], 0)
}

/// `echo` (with `-n`) and `printf` (conversions, reuse of the format, escapes).
pub const ECHO_PRINTF: Check = Check {
    name: "echo_printf_output",
    covers: &["utility_echo", "utility_printf"],
    run: echo_printf,
};

fn echo_printf() -> CheckOutcome {
    expect_output(&["echo", "hello", "world"], None, "hello world\n", 0)?;
    expect_output(&["echo", "-n", "x"], None, "x", 0)?;
    expect_output(&["echo"], None, "\n", 0)?;
    // echo prints `--`; printf takes it as the end of its (absent) options.
    expect_output(&["echo", "--", "a"], None, "-- a\n", 0)?;
    expect_output(&["printf", "--", "%s.", "b"], None, "b.", 0)?;
    expect_output(
        &["printf", "%s=%d\\n", "a", "1", "b", "2"],
        None,
        "a=1\nb=2\n",
        0,
    )?;
    expect_output(
        &[
            "printf",
            "[%5s|%-4d|%04x|%.2f]",
            "ab",
            "7",
            "255",
            "3.14159",
        ],
        None,
        "[   ab|7   |00ff|3.14]",
        0,
    )?;
    expect_output(
        &["printf", "%c%c\\t%o\\101\\n", "xy", "z", "8"],
        None,
        "xz\t10A\n",
        0,
    )?;
    expect_output(&["printf", "%b", "a\\nb"], None, "a\nb", 0)?;
    let bad = capture(&["printf", "%d\\n", "12x"], None)?;
    ensure!(
        bad.status == 1 && bad.output == "12\n" && bad.errors.starts_with("printf: 12x:"),
        "printf %d 12x: {:?} {:?}",
        bad.output,
        bad.errors
    );
    Ok(())
}

/// `wc`: the acceptance's `wc -c` of `hello\n` is 6; lines, words, totals.
pub const WC: Check = Check {
    name: "wc_output",
    covers: &[
        "utility_wc",
        "utility_wc:-c",
        "utility_wc:-l",
        "utility_wc:-w",
    ],
    run: wc,
};

fn wc() -> CheckOutcome {
    expect_output(&["wc", "-c"], Some("hello\n"), "6\n", 0)?;
    expect_output(&["wc", "-l"], Some("a\nb\nc\n"), "3\n", 0)?;
    expect_output(&["wc", "-w"], Some("one two  three\nfour\n"), "4\n", 0)?;
    expect_output(
        &["wc"],
        Some("one two\nthree\n"),
        "      2       3      14\n",
        0,
    )?;
    let base = scratch("wc")?;
    let (first, second) = (alloc::format!("{base}/1"), alloc::format!("{base}/2"));
    write_file(&first, b"a b\n")?;
    write_file(&second, b"c\n\n")?;
    expect_output(
        &["wc", &first, &second],
        None,
        &alloc::format!(
            "      1       2       4 {first}\n      2       1       3 {second}\n      3       3       7 total\n"
        ),
        0,
    )?;
    expect(&["rm", "-r", &base], 0)
}

/// `head` and `tail` by lines and bytes, `tail -n +N`, the default of 10 lines.
pub const HEAD_TAIL: Check = Check {
    name: "head_tail_output",
    covers: &[
        "utility_head",
        "utility_head:-n",
        "utility_head:-c",
        "utility_tail:-n",
        "utility_tail:-c",
    ],
    run: head_tail,
};

fn head_tail() -> CheckOutcome {
    let mut twelve = String::new();
    for index in 1..=12 {
        twelve.push_str(&alloc::format!("{index}\n"));
    }
    expect_output(
        &["head"],
        Some(&twelve),
        "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n",
        0,
    )?;
    expect_output(&["head", "-n", "2"], Some(&twelve), "1\n2\n", 0)?;
    expect_output(&["head", "-n2"], Some(&twelve), "1\n2\n", 0)?;
    expect_output(&["head", "-c", "3"], Some(&twelve), "1\n2", 0)?;
    expect_output(
        &["tail"],
        Some(&twelve),
        "3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n",
        0,
    )?;
    expect_output(&["tail", "-n", "2"], Some(&twelve), "11\n12\n", 0)?;
    expect_output(&["tail", "-n", "+11"], Some(&twelve), "11\n12\n", 0)?;
    expect_output(&["tail", "-c", "4"], Some(&twelve), "\n12\n", 0)?;
    expect_output(&["tail", "-n", "1"], Some("no newline"), "no newline", 0)?;
    expect_output(&["head", "-n", "0"], Some(&twelve), "", 0)
}

/// `grep`'s output: lines, `-n`, `-c`, `-l`, file names with several files, `-v`.
pub const GREP: Check = Check {
    name: "grep_output",
    covers: &[
        "utility_grep",
        "utility_grep:-n",
        "utility_grep:-c",
        "utility_grep:-l",
        "utility_grep:-x",
        "utility_grep:-f",
    ],
    run: grep,
};

fn grep() -> CheckOutcome {
    let text = "apple\nBanana\ncherry\nbanana split\n";
    expect_output(&["grep", "an"], Some(text), "Banana\nbanana split\n", 0)?;
    expect_output(
        &["grep", "-i", "^b"],
        Some(text),
        "Banana\nbanana split\n",
        0,
    )?;
    expect_output(
        &["grep", "-n", "an"],
        Some(text),
        "2:Banana\n4:banana split\n",
        0,
    )?;
    expect_output(&["grep", "-c", "an"], Some(text), "2\n", 0)?;
    expect_output(&["grep", "-v", "an"], Some(text), "apple\ncherry\n", 0)?;
    expect_output(
        &["grep", "-E", "^(apple|cherry)$"],
        Some(text),
        "apple\ncherry\n",
        0,
    )?;
    expect_output(&["grep", "kiwi"], Some(text), "", 1)?;
    expect_output(&["grep", "-x", "cherry"], Some(text), "cherry\n", 0)?;
    expect_output(&["grep", "-x", "cherr"], Some(text), "", 1)?;
    expect_output(&["grep", "-xF", "apple"], Some(text), "apple\n", 0)?;
    let base = scratch("grep-output")?;
    let (first, second) = (alloc::format!("{base}/1"), alloc::format!("{base}/2"));
    write_file(&first, b"x\ny\n")?;
    write_file(&second, b"y\n")?;
    expect_output(
        &["grep", "y", &first, &second],
        None,
        &alloc::format!("{first}:y\n{second}:y\n"),
        0,
    )?;
    expect_output(
        &["grep", "-l", "x", &first, &second],
        None,
        &alloc::format!("{first}\n"),
        0,
    )?;
    expect_output(
        &["grep", "-c", "y", &first, &second],
        None,
        &alloc::format!("{first}:1\n{second}:1\n"),
        0,
    )?;
    let patterns = alloc::format!("{base}/patterns");
    write_file(&patterns, b"x\nnothing\n")?;
    expect_output(
        &["grep", "-h", "-f", &patterns, &first, &second],
        None,
        "x\n",
        0,
    )?;
    write_file(&patterns, b"")?;
    expect_output(&["grep", "-f", &patterns, &first], None, "", 1)?;
    expect(&["rm", "-r", &base], 0)
}

/// `sort` and `uniq` reading standard input.
pub const SORT_UNIQ: Check = Check {
    name: "sort_uniq_output",
    covers: &[
        "utility_sort:stdin",
        "utility_sort:-k",
        "utility_sort:-t",
        "utility_sort:-b",
        "utility_uniq:stdin",
        "utility_uniq:-f",
        "utility_uniq:-s",
    ],
    run: sort_uniq,
};

fn sort_uniq() -> CheckOutcome {
    expect_output(&["sort"], Some("b\na\nc\n"), "a\nb\nc\n", 0)?;
    expect_output(&["sort", "-rn"], Some("1\n10\n2\n"), "10\n2\n1\n", 0)?;
    expect_output(&["sort", "-u"], Some("b\na\nb\n"), "a\nb\n", 0)?;
    expect_output(
        &["uniq", "-c"],
        Some("a\na\nb\n"),
        "      2 a\n      1 b\n",
        0,
    )?;
    expect_output(&["uniq"], Some("x\nx\nx\n"), "x\n", 0)?;
    let passwd = "root:x:0:0\nuser:x:1000:1000\ndaemon:x:2:2\n";
    expect_output(
        &["sort", "-t", ":", "-k", "3,3n"],
        Some(passwd),
        "root:x:0:0\ndaemon:x:2:2\nuser:x:1000:1000\n",
        0,
    )?;
    expect_output(
        &["sort", "-t:", "-k3,3nr"],
        Some(passwd),
        "user:x:1000:1000\ndaemon:x:2:2\nroot:x:0:0\n",
        0,
    )?;
    expect_output(
        &["sort", "-k", "2", "-k", "1,1r"],
        Some("b x\na y\nc x\n"),
        "c x\nb x\na y\n",
        0,
    )?;
    expect_output(&["sort", "-b"], Some("  b\na\n c\n"), "a\n  b\n c\n", 0)?;
    expect_output(&["sort", "-k", "0"], Some(""), "", 2)?;
    expect_output(
        &["uniq", "-f", "1"],
        Some("1 a\n2 a\n3 b\n"),
        "1 a\n3 b\n",
        0,
    )?;
    expect_output(
        &["uniq", "-s", "2"],
        Some("xxab\nyyab\nzzac\n"),
        "xxab\nzzac\n",
        0,
    )
}

/// `cut` by fields and characters; `tr` with ranges, classes, `-d`, `-s`, `-c`.
pub const CUT_TR: Check = Check {
    name: "cut_tr_output",
    covers: &[
        "utility_cut",
        "utility_cut:-f",
        "utility_cut:-c",
        "utility_cut:-d",
        "utility_tr",
        "utility_tr:-d",
        "utility_tr:-s",
        "utility_tr:-c",
    ],
    run: cut_tr,
};

fn cut_tr() -> CheckOutcome {
    expect_output(
        &["cut", "-d", ":", "-f", "1,3"],
        Some("a:b:c:d\nno delimiter\n"),
        "a:c\nno delimiter\n",
        0,
    )?;
    expect_output(
        &["cut", "-d:", "-s", "-f2-"],
        Some("a:b:c\nplain\n"),
        "b:c\n",
        0,
    )?;
    expect_output(&["cut", "-f", "2"], Some("one\ttwo\tthree\n"), "two\n", 0)?;
    expect_output(&["cut", "-c", "2-3"], Some("hello\n"), "el\n", 0)?;
    expect_output(
        &["tr", "a-z", "A-Z"],
        Some("hello, world\n"),
        "HELLO, WORLD\n",
        0,
    )?;
    expect_output(&["tr", "[:lower:]", "[:upper:]"], Some("abc\n"), "ABC\n", 0)?;
    expect_output(&["tr", "-d", "l"], Some("hello\n"), "heo\n", 0)?;
    expect_output(&["tr", "-s", " "], Some("a    b  c\n"), "a b c\n", 0)?;
    expect_output(&["tr", "-cd", "0-9\\n"], Some("a1b22c\n"), "122\n", 0)?;
    expect_output(&["tr", "abc", "x"], Some("aabbcc\n"), "xxxxxx\n", 0)
}

/// `tee` copies standard input to standard output and files, `-a` appending.
pub const TEE: Check = Check {
    name: "tee_output",
    covers: &["utility_tee:copy", "utility_tee:-a"],
    run: tee,
};

fn tee() -> CheckOutcome {
    let base = scratch("tee")?;
    let (first, second) = (alloc::format!("{base}/1"), alloc::format!("{base}/2"));
    expect_output(&["tee", &first, &second], Some("line\n"), "line\n", 0)?;
    expect_contents(&first, "line\n")?;
    expect_contents(&second, "line\n")?;
    expect_output(&["tee", "-a", &first], Some("more\n"), "more\n", 0)?;
    expect_contents(&first, "line\nmore\n")?;
    expect_output(&["tee", &second], Some("new\n"), "new\n", 0)?;
    expect_contents(&second, "new\n")?;
    expect(&["rm", "-r", &base], 0)
}

/// `seq`: counts, increments, decimals, `-s`, `-w`; a large count streams.
pub const SEQ: Check = Check {
    name: "seq_output",
    covers: &["utility_seq"],
    run: seq,
};

fn seq() -> CheckOutcome {
    expect_output(&["seq", "3"], None, "1\n2\n3\n", 0)?;
    expect_output(&["seq", "2", "2", "7"], None, "2\n4\n6\n", 0)?;
    expect_output(&["seq", "3", "-1", "1"], None, "3\n2\n1\n", 0)?;
    expect_output(&["seq", "-s", ",", "3"], None, "1,2,3\n", 0)?;
    expect_output(&["seq", "-w", "8", "10"], None, "08\n09\n10\n", 0)?;
    expect_output(&["seq", "1", "0.5", "2"], None, "1.0\n1.5\n2.0\n", 0)?;
    expect_output(&["seq", "2", "1"], None, "", 0)?;
    let large = capture(&["seq", "100000"], None)?;
    ensure!(
        large.status == 0
            && large.output.starts_with("1\n2\n")
            && large.output.ends_with("\n99999\n100000\n")
            && large.output.lines().count() == 100_000,
        "seq 100000 wrote {} bytes and exited {}",
        large.output.len(),
        large.status
    );
    Ok(())
}

/// `yes` writes until its reader goes away, then is ended by `SIGPIPE` (its default action):
/// the acceptance's `yes | head -n 1` terminates.
pub const YES: Check = Check {
    name: "yes_until_reader_gone",
    covers: &["utility_yes"],
    run: yes,
};

fn yes() -> CheckOutcome {
    use libos::process::FileAction;
    use libposix_sys::fcntl::{O_CLOEXEC, O_RDONLY};
    let [read_end, write_end] =
        libos::io::pipe2(O_CLOEXEC).map_err(|error| alloc::format!("pipe2: {error}"))?;
    let actions = [
        FileAction::Open {
            fd: 0,
            path: "/dev/null",
            flags: O_RDONLY,
            mode: 0,
        },
        FileAction::Dup2 {
            old: write_end,
            new: 1,
        },
    ];
    let spawned = libos::process::posix_spawn("/bin/yes", &actions, None, &["yes", "word"], &[]);
    let _ = libos::io::close(write_end);
    let pid = match spawned {
        Ok(pid) => pid,
        Err(error) => {
            let _ = libos::io::close(read_end);
            return Err(alloc::format!("posix_spawn yes: {error}"));
        }
    };
    let mut buffer = [0u8; 64];
    let mut got = alloc::vec::Vec::new();
    while got.len() < 10 {
        match libos::io::read(read_end, &mut buffer) {
            Ok(0) => break,
            Ok(length) => got.extend_from_slice(&buffer[..length]),
            Err(error) => return Err(alloc::format!("read: {error}")),
        }
    }
    let _ = libos::io::close(read_end);
    let mut status = 0;
    libos::process::identity::waitpid(pid, Some(&mut status), 0)
        .map_err(|error| alloc::format!("waitpid: {error}"))?;
    ensure!(
        got.starts_with(b"word\nword\n"),
        "yes word wrote {:?}",
        String::from_utf8_lossy(&got)
    );
    ensure!(
        libposix_sys::wait::WIFSIGNALED(status)
            && libposix_sys::wait::WTERMSIG(status) == libposix_sys::signal::SIGPIPE,
        "yes after its reader closed: wait status {status:#x}, not killed by SIGPIPE"
    );
    Ok(())
}

/// `basename`, `dirname` and `pwd`.
pub const NAMES: Check = Check {
    name: "basename_dirname_pwd_output",
    covers: &["utility_basename", "utility_dirname", "utility_pwd"],
    run: names,
};

fn names() -> CheckOutcome {
    expect_output(&["basename", "/usr/lib/"], None, "lib\n", 0)?;
    expect_output(&["basename", "/x/file.c", ".c"], None, "file\n", 0)?;
    expect_output(&["basename", "/"], None, "/\n", 0)?;
    // A first `--` ends the options (there are none) and only the first.
    expect_output(&["basename", "--", "--"], None, "--\n", 0)?;
    expect_output(&["dirname", "--", "/a/b"], None, "/a\n", 0)?;
    expect_output(&["dirname", "/usr/lib"], None, "/usr\n", 0)?;
    expect_output(&["dirname", "file"], None, ".\n", 0)?;
    expect_output(&["dirname", "//a//b//"], None, "//a\n", 0)
        .or_else(|_| expect_output(&["dirname", "//a//b//"], None, "/a\n", 0))?;
    let here = libos::fs::getcwd(4096).map_err(|error| alloc::format!("getcwd: {error}"))?;
    let here = String::from_utf8_lossy(&here).trim_end_matches('\0').into();
    let here: String = here;
    expect_output(&["pwd"], None, &alloc::format!("{here}\n"), 0)
}

/// `env` prints its environment, `-i` empties it, `NAME=VALUE` sets and replaces.
pub const ENV: Check = Check {
    name: "env_output",
    covers: &["utility_env"],
    run: env,
};

fn env() -> CheckOutcome {
    let environment = ["A=1", "B=two words"];
    let printed = capture_with_environment(&["env"], None, &environment)?;
    ensure!(
        printed.output == "A=1\nB=two words\n" && printed.status == 0,
        "env printed {:?}",
        printed.output
    );
    let replaced = capture_with_environment(&["env", "A=9", "C=3"], None, &environment)?;
    ensure!(
        replaced.output == "B=two words\nA=9\nC=3\n",
        "env A=9 C=3 printed {:?}",
        replaced.output
    );
    let emptied = capture_with_environment(&["env", "-i", "C=3"], None, &environment)?;
    ensure!(
        emptied.output == "C=3\n",
        "env -i C=3 printed {:?}",
        emptied.output
    );
    // The command gets the environment: env runs env.
    let nested = capture_with_environment(&["env", "-i", "D=4", "env"], None, &environment)?;
    ensure!(
        nested.output == "D=4\n",
        "env -i D=4 env printed {:?}",
        nested.output
    );
    Ok(())
}

/// `date +%s` agrees with the real-time clock; `+FORMAT` pieces.
pub const DATE: Check = Check {
    name: "date_output",
    covers: &["utility_date:format"],
    run: date,
};

fn date() -> CheckOutcome {
    let before = libos::time::clock_gettime(libposix_sys::clock::CLOCK_REALTIME)
        .map_err(|error| alloc::format!("{error}"))?
        .tv_sec;
    let captured = capture(&["date", "+%s"], None)?;
    let after = libos::time::clock_gettime(libposix_sys::clock::CLOCK_REALTIME)
        .map_err(|error| alloc::format!("{error}"))?
        .tv_sec;
    let printed: i64 = captured
        .output
        .trim()
        .parse()
        .map_err(|_| alloc::format!("date +%s printed {:?}", captured.output))?;
    ensure!(
        before <= printed && printed <= after,
        "date +%s printed {printed}, the clock said {before}..{after}"
    );
    let formatted = capture(&["date", "+%Y-%m-%d %H:%M:%S|%%|%j"], None)?;
    let text = formatted.output.trim_end();
    let bytes = text.as_bytes();
    ensure!(
        bytes.len() == 25
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes[13] == b':'
            && &bytes[19..22] == b"|%|",
        "date +FORMAT printed {text:?}"
    );
    Ok(())
}

/// `stat`'s report: size, links, mode in octal and as `ls` shows it, type.
pub const STAT: Check = Check {
    name: "stat_output",
    covers: &["utility_stat:report"],
    run: stat,
};

fn stat() -> CheckOutcome {
    let base = scratch("stat")?;
    let file = alloc::format!("{base}/file");
    write_file(&file, b"12345")?;
    let captured = capture(&["stat", &file], None)?;
    let found = libos::fs::stat(&file).map_err(|error| alloc::format!("{error}"))?;
    for piece in [
        alloc::format!("  File: {file}\n"),
        String::from("  Size: 5\t"),
        String::from("regular file"),
        alloc::format!("Inode: {}\tLinks: 1\n", found.st_ino),
        String::from("Access: (0644/-rw-r--r--)  Uid: 0\tGid: 0\n"),
    ] {
        ensure!(
            captured.output.contains(&piece),
            "stat printed {:?}, without {piece:?}",
            captured.output
        );
    }
    expect(&["rm", "-r", &base], 0)
}

/// `kill -l` lists the signals and names the one an exit status stands for.
pub const KILL: Check = Check {
    name: "kill_list_output",
    covers: &["utility_kill:-l"],
    run: kill,
};

fn kill() -> CheckOutcome {
    let listed = capture(&["kill", "-l"], None)?;
    ensure!(
        listed
            .output
            .starts_with("HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM"),
        "kill -l printed {:?}",
        listed.output
    );
    expect_output(&["kill", "-l", "137"], None, "KILL\n", 0)?;
    expect_output(&["kill", "-l", "15"], None, "TERM\n", 0)
}

/// Errors name the utility and the operand, on standard error.
pub const ERROR_MESSAGES: Check = Check {
    name: "error_messages",
    covers: &[],
    run: error_messages,
};

fn error_messages() -> CheckOutcome {
    expect_error(
        &["head", "/no/such"],
        "head: /no/such: No such file or directory\n",
        1,
    )?;
    expect_error(
        &["wc", "/no/such"],
        "wc: /no/such: No such file or directory\n",
        1,
    )?;
    expect_error(
        &["grep", "x", "/no/such"],
        "grep: /no/such: No such file or directory\n",
        2,
    )?;
    expect_error(
        &["rm", "/no/such"],
        "rm: cannot remove '/no/such': No such file or directory\n",
        1,
    )?;
    expect_error(
        &["mkdir", "/no/such/dir"],
        "mkdir: cannot create directory '/no/such/dir': No such file or directory\n",
        1,
    )?;
    let usage = capture(&["sort", "-q"], None)?;
    ensure!(
        usage.status == 2
            && usage
                .errors
                .starts_with("sort: invalid option -- 'q'\nusage: sort"),
        "sort -q: {:?}",
        usage.errors
    );
    Ok(())
}

/// `id`: POSIX's `uid=… gid=… groups=…` from the process server's credentials (numbers: no
/// user database), `euid=`/`egid=` when they differ, `-u -g -G -n -r`, and its usage errors.
pub const ID: Check = Check {
    name: "id_output",
    covers: &[
        "utility_id",
        "utility_id:-u",
        "utility_id:-g",
        "utility_id:-G",
        "utility_id:-n",
        "utility_id:-r",
    ],
    run: id,
};

fn id() -> CheckOutcome {
    use libos::process::credentials::{setgroups, setresgid};
    setgroups(&[]).map_err(|error| alloc::format!("setgroups []: {error}"))?;
    expect_output(&["id"], None, "uid=0 gid=0 groups=0\n", 0)?;
    expect_output(&["id", "-u"], None, "0\n", 0)?;
    expect_output(&["id", "-un"], None, "0\n", 0)?;
    setgroups(&[7, 8]).map_err(|error| alloc::format!("setgroups [7, 8]: {error}"))?;
    setresgid(0, 50, 0).map_err(|error| alloc::format!("setresgid 0 50 0: {error}"))?;
    let changed = (|| {
        expect_output(&["id"], None, "uid=0 gid=0 egid=50 groups=50,0,7,8\n", 0)?;
        expect_output(&["id", "-g"], None, "50\n", 0)?;
        expect_output(&["id", "-g", "-r"], None, "0\n", 0)?;
        expect_output(&["id", "-G"], None, "50 0 7 8\n", 0)?;
        expect_output(&["id", "-Gn"], None, "50 0 7 8\n", 0)
    })();
    let restored = setresgid(0, 0, 0).and_then(|()| setgroups(&[]));
    changed?;
    restored.map_err(|error| alloc::format!("restoring the groups: {error}"))?;
    expect_error(
        &["id", "-u", "-g"],
        "id: cannot print \"only\" of more than one choice\nusage: id [-u | -g | -G] [-nr]\n",
        1,
    )?;
    expect_error(
        &["id", "-n"],
        "id: cannot print only names or real IDs in default format\nusage: id [-u | -g | -G] [-nr]\n",
        1,
    )?;
    expect_error(
        &["id", "root"],
        "id: 'root': no such user (there is no user database)\n",
        1,
    )?;
    expect(&["id", "-x"], 2)
}

/// `uname`: the LibOS call fills every field of Linux's `struct utsname` with this system's
/// values (NUL-terminated), and the utility prints them: `-s` by default, `-a -s -n -r -v -m`.
pub const UNAME: Check = Check {
    name: "uname_output",
    covers: &[
        "uname",
        "utility_uname",
        "utility_uname:-a",
        "utility_uname:-s",
        "utility_uname:-n",
        "utility_uname:-r",
        "utility_uname:-v",
        "utility_uname:-m",
    ],
    run: uname,
};

fn uname() -> CheckOutcome {
    use libos::process::uname as names;
    use libposix_sys::utsname::Utsname;
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
        text(&name.domainname),
    ];
    ensure!(
        fields[0] == "Exokernel"
            && fields[1] == names::HOST_NAME
            && fields[2] == env!("CARGO_PKG_VERSION")
            && !fields[3].is_empty()
            && fields[4] == "x86_64"
            && fields[5] == "(none)",
        "uname filled {fields:?}"
    );
    let [sysname, nodename, release, version, machine, _] = &fields;
    expect_output(&["uname"], None, &alloc::format!("{sysname}\n"), 0)?;
    expect_output(&["uname", "-s"], None, &alloc::format!("{sysname}\n"), 0)?;
    expect_output(&["uname", "-n"], None, &alloc::format!("{nodename}\n"), 0)?;
    expect_output(&["uname", "-v"], None, &alloc::format!("{version}\n"), 0)?;
    expect_output(
        &["uname", "-m", "-r"],
        None,
        &alloc::format!("{release} {machine}\n"),
        0,
    )?;
    expect_output(
        &["uname", "-a"],
        None,
        &alloc::format!("{sysname} {nodename} {release} {version} {machine}\n"),
        0,
    )?;
    expect(&["uname", "-x"], 2)?;
    expect(&["uname", "extra"], 2)
}
