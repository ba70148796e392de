//! `treesum`: a parallel checksum or grep over directory trees, the LibOS's threads at work.
//!
//! ```text
//! treesum [-j THREADS] [PATH]...             CRC-32 of every regular file, one line each
//! treesum [-j THREADS] -g PATTERN [PATH]...  the lines matching PATTERN, as `grep -rn` prints them
//! ```
//!
//! The main thread walks the trees (`.` when no path is given) and puts every regular file it
//! finds on a work queue (a `libos::thread::Mutex` and `Condvar`); `THREADS` worker threads
//! (`libos::thread::spawn`, 4 by default) take files from it, read them and record what they
//! found; the main thread joins them and prints the results sorted by path, so the output is the
//! same for any number of threads. Checksum mode prints `CRC  PATH` (the CRC-32 of IEEE 802.3,
//! as zlib computes it, in hexadecimal) and a last line `CRC  total: N files, B bytes` whose
//! CRC is that of every file's bytes one after another in that order (combined from the files'
//! checksums without reading anything twice). Grep mode takes a basic regular expression, as
//! `grep` does, and prints `PATH:LINE:TEXT`.
//!
//! Exit status: 0, or with `-g` 0 when a line matched and 1 when none did; 2 for a usage error,
//! or when some path could not be read (it is named on standard error, the rest still reported).
#![no_std]
#![no_main]

extern crate alloc;

mod file_work;
mod output;
mod walk;
mod work_queue;

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use libos::Startup;
use libos::thread::Mutex;
use utility_logic::pattern::{Dialect, Matcher};

use output::{Output, error_line};
use work_queue::WorkQueue;

libos::main!(main);

/// Worker threads when `-j` is not given.
const DEFAULT_THREADS: usize = 4;
/// The most worker threads `-j` accepts.
const MAXIMUM_THREADS: usize = 256;

const USAGE: &str = "usage: treesum [-j THREADS] [-g PATTERN] [PATH]...";

/// What the command line asked for.
struct Options {
    threads: usize,
    pattern: Option<String>,
    paths: Vec<String>,
}

/// Parses the words after the program's name; `None` (after a message) on a usage error.
fn parse(words: &[String]) -> Option<Options> {
    let mut options = Options {
        threads: DEFAULT_THREADS,
        pattern: None,
        paths: Vec::new(),
    };
    let mut index = 0;
    while index < words.len() {
        let word = &words[index];
        index += 1;
        if word == "--" {
            options.paths.extend(words[index..].iter().cloned());
            break;
        }
        let (flag, attached) = match word.strip_prefix('-') {
            Some(rest) if !rest.is_empty() => rest.split_at(1),
            _ => {
                options.paths.push(word.clone());
                continue;
            }
        };
        let value = if attached.is_empty() {
            let Some(value) = words.get(index) else {
                error_line(&alloc::format!("option requires an argument -- '{flag}'"));
                return None;
            };
            index += 1;
            value.clone()
        } else {
            String::from(attached)
        };
        match flag {
            "j" => match value.parse::<usize>() {
                Ok(threads) if (1..=MAXIMUM_THREADS).contains(&threads) => {
                    options.threads = threads;
                }
                _ => {
                    error_line(&alloc::format!(
                        "invalid thread count '{value}' (1 to {MAXIMUM_THREADS})"
                    ));
                    return None;
                }
            },
            "g" => options.pattern = Some(value),
            _ => {
                error_line(&alloc::format!("invalid option -- '{flag}'"));
                return None;
            }
        }
    }
    if options.paths.is_empty() {
        options.paths.push(String::from("."));
    }
    Some(options)
}

/// What a worker found in one file.
enum Finding {
    Checksum(file_work::Checksum),
    Lines(Vec<(u64, Vec<u8>)>),
}

/// What the workers share: the queue they take paths from, the pattern, and where they put
/// what they found (or the file's error).
struct Shared {
    queue: WorkQueue<String>,
    matcher: Option<Matcher>,
    results: Mutex<Vec<(String, Result<Finding, libposix_sys::errno::Errno>)>>,
}

/// A worker: takes files until the queue is closed and empty; returns how many it did.
fn work(shared: &Shared) -> usize {
    let mut done = 0;
    while let Some(path) = shared.queue.pop() {
        let finding = match &shared.matcher {
            Some(matcher) => file_work::matching_lines(&path, matcher).map(Finding::Lines),
            None => file_work::checksum(&path).map(Finding::Checksum),
        };
        shared.results.lock().push((path, finding));
        done += 1;
    }
    done
}

fn main(startup: &Startup) -> i32 {
    let words: Vec<String> = startup.arguments().skip(1).collect();
    let Some(options) = parse(&words) else {
        error_line(USAGE);
        return 2;
    };
    let matcher = match &options.pattern {
        None => None,
        Some(pattern) => {
            match Matcher::new(&[pattern.as_bytes().to_vec()], Dialect::Basic, false, false) {
                Ok(matcher) => Some(matcher),
                Err(error) => {
                    error_line(&alloc::format!("invalid pattern '{pattern}': {error:?}"));
                    return 2;
                }
            }
        }
    };
    let shared = Arc::new(Shared {
        queue: WorkQueue::new(),
        matcher,
        results: Mutex::new(Vec::new()),
    });
    let mut workers = Vec::with_capacity(options.threads);
    let mut complete = true;
    for _ in 0..options.threads {
        let for_worker = Arc::clone(&shared);
        match libos::thread::spawn(move || work(&for_worker)) {
            Ok(handle) => workers.push(handle),
            Err(error) => {
                error_line(&alloc::format!("cannot start a thread: {error:?}"));
                complete = false;
                break;
            }
        }
    }
    if complete {
        for root in &options.paths {
            complete &= walk::walk(root, &mut |path| shared.queue.push(path));
        }
    }
    shared.queue.close();
    for worker in workers {
        if let Err(error) = worker.join() {
            error_line(&alloc::format!("a worker thread failed: {error:?}"));
            complete = false;
        }
    }
    let mut results = core::mem::take(&mut *shared.results.lock());
    results.sort_by(|left, right| left.0.as_bytes().cmp(right.0.as_bytes()));
    let (matched, printed) = print(&results, options.pattern.is_none(), &mut complete);
    if !printed || !complete {
        2
    } else if options.pattern.is_some() && !matched {
        1
    } else {
        0
    }
}

/// Prints the sorted results (errors to standard error, clearing `complete`); returns whether
/// any line matched and whether standard output took everything.
fn print(
    results: &[(String, Result<Finding, libposix_sys::errno::Errno>)],
    checksum_mode: bool,
    complete: &mut bool,
) -> (bool, bool) {
    let mut output = Output::new();
    let mut total = crc32fast::Hasher::new();
    let (mut files, mut bytes, mut matched) = (0u64, 0u64, false);
    for (path, finding) in results {
        match finding {
            Ok(Finding::Checksum(checksum)) => {
                let line = alloc::format!("{:08x}  {path}\n", checksum.crc.clone().finalize());
                output.put(line.as_bytes());
                total.combine(&checksum.crc);
                files += 1;
                bytes += checksum.length;
            }
            Ok(Finding::Lines(lines)) => {
                for (number, text) in lines {
                    matched = true;
                    output.put(alloc::format!("{path}:{number}:").as_bytes());
                    output.put(text);
                    output.put(b"\n");
                }
            }
            Err(error) => {
                error_line(&alloc::format!("{path}: {error}"));
                *complete = false;
            }
        }
    }
    if checksum_mode {
        let line = alloc::format!(
            "{:08x}  total: {files} files, {bytes} bytes\n",
            total.finalize()
        );
        output.put(line.as_bytes());
    }
    (matched, output.flush())
}
