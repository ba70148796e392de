//! Checks of the text and process utilities through files and statuses: sort (`-o`), uniq
//! (its output operand), grep's statuses, test/[, true/false, env, sleep, usage errors.

use libos::test_protocol::{Check, CheckOutcome};

use crate::ensure;
use crate::run::{expect, expect_contents, scratch, write_file};

/// `sort` by bytes, `-n`, `-r`, `-u`, `-f`, several inputs, `-o` onto its own input.
pub const SORT: Check = Check {
    name: "sort",
    covers: &[
        "utility_sort:bytes",
        "utility_sort:-n",
        "utility_sort:-r",
        "utility_sort:-u",
        "utility_sort:-o",
    ],
    run: sort,
};

fn sort() -> CheckOutcome {
    let base = scratch("sort")?;
    let input = alloc::format!("{base}/input");
    let output = alloc::format!("{base}/output");
    write_file(&input, b"10\n9\nbanana\n-3\n100\nApple\n9\n")?;
    expect(&["sort", "-o", &output, &input], 0)?;
    expect_contents(&output, "-3\n10\n100\n9\n9\nApple\nbanana\n")?;
    expect(&["sort", "-n", "-o", &output, &input], 0)?;
    expect_contents(&output, "-3\nApple\nbanana\n9\n9\n10\n100\n")?;
    expect(&["sort", "-rn", "-o", &output, &input], 0)?;
    expect_contents(&output, "100\n10\n9\n9\nbanana\nApple\n-3\n")?;
    expect(&["sort", "-u", "-o", &output, &input], 0)?;
    expect_contents(&output, "-3\n10\n100\n9\nApple\nbanana\n")?;
    expect(&["sort", "-f", "-o", &output, &input], 0)?;
    expect_contents(&output, "-3\n10\n100\n9\n9\nApple\nbanana\n")?;
    let second = alloc::format!("{base}/second");
    write_file(&second, b"0\n")?;
    expect(&["sort", "-n", "-o", &input, &input, &second], 0)?;
    expect_contents(&input, "-3\n0\nApple\nbanana\n9\n9\n10\n100\n")?;
    // The numeric order of a larger input against the integers' order.
    let mut numbers = alloc::vec::Vec::new();
    let mut expected = alloc::string::String::new();
    for value in 0..2000u32 {
        numbers.extend_from_slice(alloc::format!("{}\n", (value * 7919) % 2000).as_bytes());
        expected.push_str(&alloc::format!("{}\n", 1999 - value));
    }
    write_file(&input, &numbers)?;
    expect(&["sort", "-rn", "-o", &output, &input], 0)?;
    expect_contents(&output, &expected)?;
    // The acceptance's size: 100,000 numbers, largest first (what `seq 1 100000 | sort -rn`
    // must do), in reasonable time.
    let mut numbers = alloc::vec::Vec::new();
    for value in 1..=100_000u32 {
        numbers.extend_from_slice(alloc::format!("{value}\n").as_bytes());
    }
    write_file(&input, &numbers)?;
    let start = libos::clock::clock_monotonic();
    expect(&["sort", "-rn", "-o", &output, &input], 0)?;
    let elapsed = libos::clock::clock_monotonic() - start;
    let sorted = crate::run::read_file(&output)?;
    ensure!(
        sorted.starts_with(b"100000\n99999\n99998\n"),
        "sort -rn of 100,000 lines starts {:?}",
        &sorted[..sorted.len().min(24)]
    );
    ensure!(
        sorted.len() == numbers.len() && sorted.ends_with(b"\n2\n1\n"),
        "sort -rn of 100,000 lines lost lines"
    );
    libos::println!("sort -rn of 100,000 lines: {} ms", elapsed / 1_000_000);
    expect(&["sort", &alloc::format!("{base}/missing")], 2)?;
    expect(&["sort", "-q"], 2)?;
    expect(&["rm", "-r", &base], 0)
}

/// `uniq` with its OUTPUT operand: runs, `-c`, `-d`, `-u`.
pub const UNIQ: Check = Check {
    name: "uniq",
    covers: &[
        "utility_uniq:runs",
        "utility_uniq:-c",
        "utility_uniq:-d",
        "utility_uniq:-u",
    ],
    run: uniq,
};

fn uniq() -> CheckOutcome {
    let base = scratch("uniq")?;
    let input = alloc::format!("{base}/input");
    let output = alloc::format!("{base}/output");
    write_file(&input, b"a\na\nb\nc\nc\nc\na\n")?;
    expect(&["uniq", &input, &output], 0)?;
    expect_contents(&output, "a\nb\nc\na\n")?;
    expect(&["uniq", "-c", &input, &output], 0)?;
    expect_contents(&output, "      2 a\n      1 b\n      3 c\n      1 a\n")?;
    expect(&["uniq", "-d", &input, &output], 0)?;
    expect_contents(&output, "a\nc\n")?;
    expect(&["uniq", "-u", &input, &output], 0)?;
    expect_contents(&output, "b\na\n")?;
    expect(&["uniq", &alloc::format!("{base}/missing")], 1)?;
    expect(&["rm", "-r", &base], 0)
}

/// `grep`'s statuses (0 selected, 1 none, 2 trouble) with basic and extended expressions,
/// fixed strings, `-i`, `-v`, `-c`, `-x`-free anchors, `-q` and `-e`.
pub const GREP: Check = Check {
    name: "grep",
    covers: &[
        "utility_grep:basic-regex",
        "utility_grep:-E",
        "utility_grep:-F",
        "utility_grep:-i",
        "utility_grep:-v",
        "utility_grep:-q",
        "utility_grep:-e",
        "utility_grep:status",
    ],
    run: grep,
};

fn grep() -> CheckOutcome {
    let base = scratch("grep")?;
    let file = alloc::format!("{base}/text");
    write_file(&file, b"Hello world\nab+c\nabbbc\nx.y\n")?;
    let quiet = |words: &[&str], expected: i32| {
        let mut all = alloc::vec!["grep", "-q"];
        all.extend_from_slice(words);
        all.push(&file);
        expect(&all, expected)
    };
    quiet(&["world"], 0)?;
    quiet(&["planet"], 1)?;
    quiet(&["^Hello"], 0)?;
    quiet(&["^ab\\{3\\}c$"], 0)?;
    quiet(&["^ab\\{4\\}c$"], 1)?;
    quiet(&["^a\\(b\\)\\{3\\}c$"], 0)?;
    quiet(&["-E", "^ab{3}c$"], 0)?;
    quiet(&["-E", "cat|world"], 0)?;
    quiet(&["-F", "x.y"], 0)?;
    quiet(&["-F", "a.b"], 1)?;
    quiet(&["HELLO"], 1)?;
    quiet(&["-i", "HELLO"], 0)?;
    quiet(&["-v", "Hello"], 0)?;
    quiet(&["-e", "nothing", "-e", "x\\.y"], 0)?;
    expect(
        &["grep", "-q", "world", &alloc::format!("{base}/missing")],
        2,
    )?;
    expect(&["grep", "-q", "\\(", &file], 2)?;
    expect(&["grep"], 2)?;
    expect(&["rm", "-r", &base], 0)
}

/// `test` and `[`: files, strings, integers, `!`, `-a`, `-o`, parentheses, and status 2 for a
/// malformed expression. (An empty operand cannot be passed yet: the start-up protocol drops
/// empty words; the host tests cover `test ''` and `-z ''`.)
pub const TEST: Check = Check {
    name: "test",
    covers: &["utility_test", "utility_test:bracket"],
    run: test,
};

fn test() -> CheckOutcome {
    let base = scratch("test")?;
    let file = alloc::format!("{base}/file");
    let empty = alloc::format!("{base}/empty");
    write_file(&file, b"x")?;
    write_file(&empty, b"")?;
    libos::fs::symlink("file", &alloc::format!("{base}/link"))
        .map_err(|error| alloc::format!("symlink: {error}"))?;
    let link = alloc::format!("{base}/link");
    let missing = alloc::format!("{base}/missing");
    let cases: &[(&[&str], i32)] = &[
        (&[], 1),
        (&["x"], 0),
        (&["-d", &base], 0),
        (&["-d", &file], 1),
        (&["-f", &file], 0),
        (&["-e", &missing], 1),
        (&["-s", &file], 0),
        (&["-s", &empty], 1),
        (&["-h", &link], 0),
        (&["-L", &file], 1),
        (&["-r", &file], 0),
        (&["-x", &file], 1),
        (&["-z", "x"], 1),
        (&["-n", "x"], 0),
        (&["abc", "=", "abc"], 0),
        (&["abc", "!=", "abc"], 1),
        (&["2", "-lt", "10"], 0),
        (&["2", "-gt", "10"], 1),
        (&["-5", "-le", "-5"], 0),
        (&["!", "-e", &missing], 0),
        (&["-f", &file, "-a", "-d", &base], 0),
        (&["-f", &base, "-o", "-d", &file], 1),
        (
            &[
                "(", "-f", &base, "-o", "-d", &base, ")", "-a", "!", "-e", &missing,
            ],
            0,
        ),
        (&["x", "-eq", "1"], 2),
        (&["-q", "x"], 2),
    ];
    for (words, status) in cases {
        let mut all = alloc::vec!["test"];
        all.extend_from_slice(words);
        expect(&all, *status)?;
    }
    // `[` is the same evaluation with a closing `]` (a few cases are enough).
    for (words, status) in [
        &cases[1], &cases[4], &cases[15], &cases[19], &cases[22], &cases[23],
    ] {
        let mut bracket = alloc::vec!["["];
        bracket.extend_from_slice(words);
        bracket.push("]");
        expect(&bracket, *status)?;
    }
    expect(&["[", "x"], 2)?;
    expect(&["rm", "-r", &base], 0)
}

/// `true` exits 0 and `false` 1, whatever their operands.
pub const TRUE_FALSE: Check = Check {
    name: "true_false",
    covers: &["utility_true", "utility_false"],
    run: true_false,
};

fn true_false() -> CheckOutcome {
    expect(&["true"], 0)?;
    expect(&["true", "--ignored"], 0)?;
    expect(&["false"], 1)?;
    expect(&["false", "x"], 1)
}

/// `env COMMAND` runs the command in its place (its status is env's); a missing command is
/// 127; `env NAME=VALUE COMMAND` passes the variable (checked through `test`'s status is not
/// possible, so through the command running at all).
pub const ENV: Check = Check {
    name: "env",
    covers: &["utility_env:command"],
    run: env,
};

fn env() -> CheckOutcome {
    expect(&["env", "true"], 0)?;
    expect(&["env", "false"], 1)?;
    expect(&["env", "-i", "NAME=value", "/bin/test", "a", "=", "a"], 0)?;
    expect(&["env", "no-such-program"], 127)?;
    expect(&["env", "-x"], 2)
}

/// `sleep` waits at least as long as asked (whole and fractional seconds), takes `--` before
/// its operand and refuses nonsense.
pub const SLEEP: Check = Check {
    name: "sleep",
    covers: &["utility_sleep"],
    run: sleep,
};

fn sleep() -> CheckOutcome {
    let start = libos::clock::clock_monotonic();
    expect(&["sleep", "0.2"], 0)?;
    let elapsed = libos::clock::clock_monotonic() - start;
    ensure!(elapsed >= 200_000_000, "sleep 0.2 took {elapsed} ns");
    expect(&["sleep", "0"], 0)?;
    expect(&["sleep", "soon"], 2)?;
    expect(&["sleep"], 2)?;
    // `--` ends the (absent) options, as for every utility that takes none.
    expect(&["sleep", "--", "0"], 0)?;
    expect(&["sleep", "--"], 2)?;
    expect(&["sleep", "--", "--", "0"], 2)
}

/// Usage errors exit non-zero (2 for a bad option or operand, as POSIX utilities do); a
/// missing file is status 1 for the utilities that go on to the next operand.
pub const USAGE_ERRORS: Check = Check {
    name: "usage_errors",
    covers: &[
        "utility_seq:invalid-number",
        "utility_printf:invalid-number",
        "utility_kill:invalid-signal",
        "utility_kill:ESRCH",
        "utility_cut:invalid-list",
        "utility_tr:invalid-set",
        "utility_head:missing-file",
        "utility_wc:missing-file",
        "utility_cat:missing-file",
        "utility_ls:missing-file",
        "utility_stat:missing-file",
    ],
    run: usage_errors,
};

fn usage_errors() -> CheckOutcome {
    expect(&["seq", "x"], 2)?;
    expect(&["seq", "1", "0", "5"], 2)?;
    expect(&["printf", "%d", "abc"], 1)?;
    expect(&["kill", "-NOPE", "1"], 2)?;
    expect(&["kill", "-s", "TERM", "999999"], 1)?;
    expect(&["cut", "-f", "0"], 2)?;
    expect(&["cut", "-f", "3-1"], 2)?;
    expect(&["tr", "z-a", "x"], 2)?;
    expect(&["tr", "[:nope:]", "x"], 2)?;
    expect(&["head", "-n", "x"], 2)?;
    expect(&["head", "/no/such/file"], 1)?;
    expect(&["wc", "/no/such/file"], 1)?;
    expect(&["cat", "/no/such/file"], 1)?;
    expect(&["ls", "/no/such/file"], 2)?;
    expect(&["ls", "-z"], 2)?;
    expect(&["stat", "/no/such/file"], 1)
}
