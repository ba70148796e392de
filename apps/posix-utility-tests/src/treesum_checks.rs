//! Checks of `treesum`, the thread-pool demonstration (`apps/treesum`): on a tree made here,
//! `-j 1` and `-j 8` must print exactly what this file computes on its own (a bitwise CRC-32
//! written here, not the crate `treesum` uses, anchored by values computed off the guest with
//! zlib), in checksum mode and in `-g` mode; and its errors: a missing tree, bad options.

use alloc::string::String;
use alloc::vec::Vec;

use libos::test_protocol::{Check, CheckOutcome};

use crate::ensure;
use crate::run::{capture, expect, scratch, write_file};

/// Checksums of a tree with 1 and 8 worker threads.
pub const CHECKSUMS: Check = Check {
    name: "treesum_checksums_any_thread_count",
    covers: &[],
    run: checksums,
};

/// `-g`: the matching lines with 1 and 8 worker threads.
pub const GREP: Check = Check {
    name: "treesum_grep_any_thread_count",
    covers: &[],
    run: grep,
};

/// A missing tree and bad options.
pub const ERRORS: Check = Check {
    name: "treesum_errors",
    covers: &[],
    run: errors,
};

/// The CRC-32 of IEEE 802.3 (reflected polynomial 0xEDB88320), a bit at a time.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The tree's files, relative to its root, sorted by path (44 files, 206,635 bytes).
fn tree() -> Vec<(String, Vec<u8>)> {
    let mut files = alloc::vec![
        (String::from("a.txt"), b"hello\n".to_vec()),
        (
            String::from("big"),
            (0..200_000u32)
                .map(|index| (index * 31 % 251) as u8)
                .collect(),
        ),
        (String::from("check/empty"), Vec::new()),
        (String::from("check/nine"), b"123456789".to_vec()),
    ];
    for number in 0..40 {
        let mut body = alloc::format!("file {number:02}\n").repeat(number + 1);
        if number % 7 == 0 {
            body.push_str(&alloc::format!("needle {number:02}\n"));
        }
        files.push((alloc::format!("many/f{number:02}"), body.into_bytes()));
    }
    files
}

/// Makes the tree under a fresh scratch directory (plus a symbolic link, which is passed
/// over); its root.
fn make_tree(name: &str) -> Result<String, String> {
    let base = scratch(name)?;
    for directory in ["check", "many"] {
        let path = alloc::format!("{base}/{directory}");
        libos::fs::mkdir(&path, 0o755).map_err(|error| alloc::format!("mkdir {path}: {error}"))?;
    }
    for (path, bytes) in tree() {
        write_file(&alloc::format!("{base}/{path}"), &bytes)?;
    }
    let link = alloc::format!("{base}/link");
    libos::fs::symlink("a.txt", &link).map_err(|error| alloc::format!("symlink: {error}"))?;
    Ok(base)
}

fn checksums() -> CheckOutcome {
    let files = tree();
    // Anchors computed with zlib off the guest, so this file's CRC cannot be wrong the same
    // way as the program's.
    ensure!(
        crc32(b"123456789") == 0xcbf4_3926,
        "the check's own CRC-32 is wrong"
    );
    ensure!(
        crc32(&files[1].1) == 0xfe45_ef84,
        "the check's own CRC-32 of big is wrong"
    );
    let everything: Vec<u8> = files.iter().flat_map(|(_, bytes)| bytes.clone()).collect();
    ensure!(
        everything.len() == 206_635 && crc32(&everything) == 0xc896_d728,
        "the tree is not the one the anchors were computed for"
    );
    let base = make_tree("treesum")?;
    let mut expected = String::new();
    for (path, bytes) in &files {
        expected.push_str(&alloc::format!("{:08x}  {base}/{path}\n", crc32(bytes)));
    }
    expected.push_str("c896d728  total: 44 files, 206635 bytes\n");
    for threads in ["1", "8"] {
        let captured = capture(&["treesum", "-j", threads, &base], None)?;
        ensure!(
            captured.status == 0 && captured.output == expected && captured.errors.is_empty(),
            "treesum -j {threads} exited {} and wrote {:?} (errors {:?}); expected {expected:?}",
            captured.status,
            captured.output,
            captured.errors
        );
    }
    // A single file as the operand, and the default of four threads.
    let nine = alloc::format!("{base}/check/nine");
    let captured = capture(&["treesum", &nine], None)?;
    let single = alloc::format!("cbf43926  {nine}\ncbf43926  total: 1 files, 9 bytes\n");
    ensure!(
        captured.status == 0 && captured.output == single,
        "treesum FILE wrote {:?}, exited {}",
        captured.output,
        captured.status
    );
    expect(&["rm", "-r", &base], 0)
}

fn grep() -> CheckOutcome {
    let base = make_tree("treesum-grep")?;
    let mut expected = String::new();
    for (path, bytes) in tree() {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        for (index, line) in text.lines().enumerate() {
            if line.starts_with("needle ") {
                expected.push_str(&alloc::format!("{base}/{path}:{}:{line}\n", index + 1));
            }
        }
    }
    ensure!(
        expected.lines().count() == 6,
        "expected six needles, built {expected:?}"
    );
    for threads in ["1", "8"] {
        let captured = capture(
            &["treesum", "-j", threads, "-g", "^needle [0-9]*$", &base],
            None,
        )?;
        ensure!(
            captured.status == 0 && captured.output == expected,
            "treesum -j {threads} -g wrote {:?}, exited {} (errors {:?}); expected {expected:?}",
            captured.output,
            captured.status,
            captured.errors
        );
    }
    let captured = capture(&["treesum", "-j8", "-g", "no such text", &base], None)?;
    ensure!(
        captured.status == 1 && captured.output.is_empty(),
        "treesum -g of nothing wrote {:?}, exited {}",
        captured.output,
        captured.status
    );
    expect(&["rm", "-r", &base], 0)
}

fn errors() -> CheckOutcome {
    let missing = "/tmp/utility-treesum-missing";
    let captured = capture(&["treesum", "-j", "8", missing], None)?;
    ensure!(
        captured.status == 2
            && captured.errors == alloc::format!("treesum: {missing}: No such file or directory\n"),
        "treesum of a missing tree exited {} with errors {:?}",
        captured.status,
        captured.errors
    );
    let captured = capture(&["treesum", "-g", "x", missing], None)?;
    ensure!(
        captured.status == 2 && captured.output.is_empty(),
        "treesum -g of a missing tree exited {} and wrote {:?}",
        captured.status,
        captured.output
    );
    for words in [
        &["treesum", "-j", "0", "/tmp"][..],
        &["treesum", "-j", "many", "/tmp"],
        &["treesum", "-q"],
        &["treesum", "-j"],
        &["treesum", "-g", "a\\(", "/tmp"],
    ] {
        let captured = capture(words, None)?;
        ensure!(
            captured.status == 2 && captured.output.is_empty() && !captured.errors.is_empty(),
            "{words:?} exited {} and wrote {:?} (errors {:?})",
            captured.status,
            captured.output,
            captured.errors
        );
        if words[1] != "-g" {
            ensure!(
                captured
                    .errors
                    .ends_with("usage: treesum [-j THREADS] [-g PATTERN] [PATH]...\n"),
                "{words:?} wrote no usage line: {:?}",
                captured.errors
            );
        }
    }
    Ok(())
}
