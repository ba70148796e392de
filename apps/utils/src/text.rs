//! The text utilities: cat, echo, printf, wc, head, tail, grep, sort, uniq, cut, tr, tee, yes,
//! seq. Each streams its input except sort (which must see every line).

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;

use libos::io::close;
use libposix_sys::fcntl::{O_APPEND, O_CREAT, O_TRUNC, O_WRONLY};
use utility_logic::cut::{parse_list, select_bytes, select_fields};
use utility_logic::pattern::{Dialect, Matcher};
use utility_logic::sort::{LineStore, SortOrder};
use utility_logic::tr::{TrError, TrOptions, Translator};
use utility_logic::uniq::{Uniq, UniqOptions};
use utility_logic::wc::{Counts, Selection, format_line};

use crate::streams::{
    Input, complain, error_line, finish, inputs, options, out, out_str, output_open,
};

/// `cat [-u] [FILE]...`
pub fn cat(operands: &[String]) -> i32 {
    let parsed = match options("cat", operands, "u", "", "cat [-u] [FILE]...") {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let mut status = 0;
    for operand in inputs(&parsed.operands) {
        let mut input = match Input::open(&operand) {
            Ok(input) => input,
            Err(error) => {
                complain("cat", &operand, error);
                status = 1;
                continue;
            }
        };
        let mut piece = [0u8; 4096];
        loop {
            match input.read_piece(&mut piece) {
                Ok(0) => break,
                Ok(length) => {
                    if !out(&piece[..length]) {
                        return finish(1);
                    }
                }
                Err(error) => {
                    complain("cat", &operand, error);
                    status = 1;
                    break;
                }
            }
        }
    }
    finish(status)
}

/// `echo [-n] [-e|-E] [STRING]...`
pub fn echo(operands: &[String]) -> i32 {
    let mut newline = true;
    let mut escapes = false;
    let mut index = 0;
    while let Some(word) = operands.get(index) {
        if word.len() < 2
            || !word.starts_with('-')
            || !word[1..].bytes().all(|b| matches!(b, b'n' | b'e' | b'E'))
        {
            break;
        }
        for letter in word[1..].bytes() {
            match letter {
                b'n' => newline = false,
                b'e' => escapes = true,
                _ => escapes = false,
            }
        }
        index += 1;
    }
    let text = operands[index..].join(" ");
    if escapes {
        // `\c` in the text ends the output, newline included.
        let stopped = text.contains("\\c");
        let formatted = utility_logic::printf::format(b"%b", &[text]);
        out(&formatted.output);
        if stopped {
            return finish(0);
        }
    } else {
        out_str(&text);
    }
    if newline {
        out(b"\n");
    }
    finish(0)
}

/// `printf FORMAT [ARGUMENT]...`
pub fn printf(operands: &[String]) -> i32 {
    let operands = utility_logic::options::without_end_of_options(operands);
    let Some(format) = operands.first() else {
        error_line("printf: missing operand\nusage: printf FORMAT [ARGUMENT]...");
        return 2;
    };
    let formatted = utility_logic::printf::format(format.as_bytes(), &operands[1..]);
    out(&formatted.output);
    for message in &formatted.errors {
        error_line(&alloc::format!("printf: {message}"));
    }
    finish(i32::from(!formatted.errors.is_empty()))
}

/// `wc [-c|-m] [-l] [-w] [FILE]...`
pub fn wc(operands: &[String]) -> i32 {
    let parsed = match options("wc", operands, "clmw", "", "wc [-c|-m] [-lw] [FILE]...") {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let mut selection = Selection {
        lines: parsed.has('l'),
        words: parsed.has('w'),
        bytes: parsed.has('c') || parsed.has('m'),
    };
    if !selection.lines && !selection.words && !selection.bytes {
        selection = Selection {
            lines: true,
            words: true,
            bytes: true,
        };
    }
    let mut total = Counts::default();
    let mut status = 0;
    let named = !parsed.operands.is_empty();
    for operand in inputs(&parsed.operands) {
        let mut input = match Input::open(&operand) {
            Ok(input) => input,
            Err(error) => {
                complain("wc", &operand, error);
                status = 1;
                continue;
            }
        };
        let mut counts = Counts::default();
        let mut piece = [0u8; 4096];
        loop {
            match input.read_piece(&mut piece) {
                Ok(0) => break,
                Ok(length) => counts.feed(&piece[..length]),
                Err(error) => {
                    complain("wc", &operand, error);
                    status = 1;
                    break;
                }
            }
        }
        total.add(&counts);
        out_str(&format_line(
            &counts,
            selection,
            named.then_some(operand.as_str()),
        ));
    }
    if parsed.operands.len() > 1 {
        out_str(&format_line(&total, selection, Some("total")));
    }
    finish(status)
}

/// Parses a count operand of head/tail; `+N` gives `(N, true)`.
fn count(name: &str, text: &str) -> Result<(u64, bool), i32> {
    let (from_start, digits) = match text.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('-').unwrap_or(text)),
    };
    digits
        .parse::<u64>()
        .map(|value| (value, from_start))
        .map_err(|_| {
            error_line(&alloc::format!("{name}: invalid number: '{text}'"));
            2
        })
}

/// `head [-n N | -c N] [FILE]...`
pub fn head(operands: &[String]) -> i32 {
    let parsed = match options(
        "head",
        operands,
        "",
        "nc",
        "head [-n LINES | -c BYTES] [FILE]...",
    ) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let bytes_mode = parsed.value('c');
    let limit = match bytes_mode
        .or(parsed.value('n'))
        .map(|text| count("head", text))
    {
        None => 10,
        Some(Ok((value, _))) => value,
        Some(Err(status)) => return status,
    };
    let mut status = 0;
    let several = parsed.operands.len() > 1;
    for (index, operand) in inputs(&parsed.operands).iter().enumerate() {
        let mut input = match Input::open(operand) {
            Ok(input) => input,
            Err(error) => {
                complain("head", operand, error);
                status = 1;
                continue;
            }
        };
        if several {
            out_str(&alloc::format!(
                "{}==> {operand} <==\n",
                if index > 0 { "\n" } else { "" }
            ));
        }
        let mut remaining = limit;
        if bytes_mode.is_some() {
            let mut piece = [0u8; 4096];
            while remaining > 0 {
                match input.read_piece(&mut piece) {
                    Ok(0) => break,
                    Ok(length) => {
                        let take = (length as u64).min(remaining) as usize;
                        remaining -= take as u64;
                        if !out(&piece[..take]) {
                            return finish(1);
                        }
                    }
                    Err(error) => {
                        complain("head", operand, error);
                        status = 1;
                        break;
                    }
                }
            }
            continue;
        }
        while remaining > 0 {
            match input.next_line() {
                Ok(None) => break,
                Ok(Some((line, newline))) => {
                    remaining -= 1;
                    if !out(&line) || (newline && !out(b"\n")) {
                        return finish(1);
                    }
                }
                Err(error) => {
                    complain("head", operand, error);
                    status = 1;
                    break;
                }
            }
        }
    }
    finish(status)
}

/// `tail [-n [+]N | -c [+]N] [FILE]`
pub fn tail(operands: &[String]) -> i32 {
    let parsed = match options(
        "tail",
        operands,
        "f",
        "nc",
        "tail [-n [+]LINES | -c [+]BYTES] [FILE]",
    ) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    if parsed.has('f') {
        error_line("tail: -f: Function not implemented");
        return 1;
    }
    let bytes_mode = parsed.value('c').is_some();
    let (amount, from_start) = match parsed
        .value('c')
        .or(parsed.value('n'))
        .map(|text| count("tail", text))
    {
        None => (10, false),
        Some(Ok(value)) => value,
        Some(Err(status)) => return status,
    };
    let operand = inputs(&parsed.operands).remove(0);
    let mut input = match Input::open(&operand) {
        Ok(input) => input,
        Err(error) => {
            complain("tail", &operand, error);
            return 1;
        }
    };
    let mut status = 0;
    if bytes_mode {
        let mut kept: VecDeque<u8> = VecDeque::new();
        let mut position: u64 = 0;
        let mut piece = [0u8; 4096];
        loop {
            match input.read_piece(&mut piece) {
                Ok(0) => break,
                Ok(length) => {
                    for &byte in &piece[..length] {
                        position += 1;
                        if from_start {
                            if position >= amount.max(1) {
                                out(&[byte]);
                            }
                        } else {
                            kept.push_back(byte);
                            if kept.len() as u64 > amount {
                                kept.pop_front();
                            }
                        }
                    }
                }
                Err(error) => {
                    complain("tail", &operand, error);
                    status = 1;
                    break;
                }
            }
        }
        let (first, second) = kept.as_slices();
        out(first);
        out(second);
        return finish(status);
    }
    let mut kept: VecDeque<(Vec<u8>, bool)> = VecDeque::new();
    let mut number: u64 = 0;
    loop {
        match input.next_line() {
            Ok(None) => break,
            Ok(Some(line)) => {
                number += 1;
                if from_start {
                    if number >= amount.max(1) && (!out(&line.0) || (line.1 && !out(b"\n"))) {
                        return finish(1);
                    }
                } else {
                    kept.push_back(line);
                    if kept.len() as u64 > amount {
                        kept.pop_front();
                    }
                }
            }
            Err(error) => {
                complain("tail", &operand, error);
                status = 1;
                break;
            }
        }
    }
    for (line, newline) in kept {
        out(&line);
        if newline {
            out(b"\n");
        }
    }
    finish(status)
}

/// `grep [-E|-F] [-c|-l|-q] [-insvxh] [-e PATTERN]... [PATTERN] [FILE]...`
pub fn grep(operands: &[String]) -> i32 {
    let usage =
        "grep [-E|-F] [-c|-l|-q] [-hinsvx] [-e PATTERN]... [-f FILE]... [PATTERN] [FILE]...";
    let parsed = match options("grep", operands, "EFGclqinsvxhH", "ef", usage) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let mut operands = parsed.operands.clone();
    let mut patterns: Vec<Vec<u8>> = parsed
        .options
        .iter()
        .filter(|(letter, _)| *letter == 'e')
        .filter_map(|(_, value)| value.as_ref())
        .flat_map(|value| {
            value
                .split('\n')
                .map(|line| line.as_bytes().to_vec())
                .collect::<Vec<_>>()
        })
        .collect();
    for (letter, value) in &parsed.options {
        let (Some(path), 'f') = (value, *letter) else {
            continue;
        };
        let mut input = match Input::open(path) {
            Ok(input) => input,
            Err(error) => {
                complain("grep", path, error);
                return 2;
            }
        };
        loop {
            match input.next_line() {
                Ok(Some((line, _))) => patterns.push(line),
                Ok(None) => break,
                Err(error) => {
                    complain("grep", path, error);
                    return 2;
                }
            }
        }
    }
    let from_options = parsed.has('e') || parsed.has('f');
    if !from_options {
        if operands.is_empty() {
            error_line(&alloc::format!("usage: {usage}"));
            return 2;
        }
        patterns = operands
            .remove(0)
            .split('\n')
            .map(|line| line.as_bytes().to_vec())
            .collect();
    }
    let dialect = if parsed.has('F') {
        Dialect::Fixed
    } else if parsed.has('E') {
        Dialect::Extended
    } else {
        Dialect::Basic
    };
    let matcher = match Matcher::new(&patterns, dialect, parsed.has('i'), parsed.has('x')) {
        Ok(matcher) => matcher,
        Err(error) => {
            error_line(&alloc::format!("grep: {error}"));
            return 2;
        }
    };
    let (invert, counting, listing, quiet, numbers) = (
        parsed.has('v'),
        parsed.has('c'),
        parsed.has('l'),
        parsed.has('q'),
        parsed.has('n'),
    );
    let prefix_names = (operands.len() > 1 && !parsed.has('h')) || parsed.has('H');
    let mut any_selected = false;
    let mut trouble = false;
    for operand in inputs(&operands) {
        let mut input = match Input::open(&operand) {
            Ok(input) => input,
            Err(error) => {
                if !parsed.has('s') {
                    complain("grep", &operand, error);
                }
                trouble = true;
                continue;
            }
        };
        let shown_name = if operand == "-" {
            "(standard input)"
        } else {
            operand.as_str()
        };
        let mut selected: u64 = 0;
        let mut number: u64 = 0;
        loop {
            let (line, _) = match input.next_line() {
                Ok(Some(line)) => line,
                Ok(None) => break,
                Err(error) => {
                    complain("grep", &operand, error);
                    trouble = true;
                    break;
                }
            };
            number += 1;
            if matcher.is_match(&line) == invert {
                continue;
            }
            selected += 1;
            any_selected = true;
            if quiet {
                return finish(0);
            }
            if listing {
                break;
            }
            if counting {
                continue;
            }
            if prefix_names {
                out_str(shown_name);
                out(b":");
            }
            if numbers {
                out_str(&alloc::format!("{number}:"));
            }
            out(&line);
            if !out(b"\n") {
                return finish(1);
            }
        }
        if counting {
            if prefix_names {
                out_str(&alloc::format!("{shown_name}:"));
            }
            out_str(&alloc::format!("{selected}\n"));
        }
        if listing && selected > 0 {
            out_str(&alloc::format!("{shown_name}\n"));
        }
    }
    let status = if trouble && !(quiet && any_selected) {
        2
    } else if any_selected {
        0
    } else {
        1
    };
    finish(status)
}

/// `sort [-fnru] [-o OUTPUT] [FILE]...`
pub fn sort(operands: &[String]) -> i32 {
    let usage = "sort [-bfnru] [-t CHARACTER] [-k KEY]... [-o OUTPUT] [FILE]...";
    let parsed = match options("sort", operands, "bfnru", "okt", usage) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let separator = match parsed.value('t').map(str::as_bytes) {
        None => None,
        Some([byte]) => Some(*byte),
        Some(_) => {
            error_line(&alloc::format!(
                "sort: the separator must be a single character\nusage: {usage}"
            ));
            return 2;
        }
    };
    let mut keys = Vec::new();
    for (letter, value) in &parsed.options {
        let (Some(text), 'k') = (value, *letter) else {
            continue;
        };
        match utility_logic::sort::parse_key(text) {
            Ok(key) => keys.push(key),
            Err(_) => {
                error_line(&alloc::format!(
                    "sort: invalid key: '{text}'\nusage: {usage}"
                ));
                return 2;
            }
        }
    }
    let order = SortOrder {
        numeric: parsed.has('n'),
        reverse: parsed.has('r'),
        unique: parsed.has('u'),
        fold_case: parsed.has('f'),
        skip_blanks: parsed.has('b'),
        separator,
        keys,
    };
    let out_of_memory = || {
        error_line("sort: Cannot allocate memory");
        2
    };
    let mut lines = LineStore::default();
    for operand in inputs(&parsed.operands) {
        let mut input = match Input::open(&operand) {
            Ok(input) => input,
            Err(error) => {
                complain("sort", &operand, error);
                return 2;
            }
        };
        loop {
            match input.next_line() {
                Ok(Some((line, _))) => {
                    if lines.push(&line).is_err() {
                        return out_of_memory();
                    }
                }
                Ok(None) => break,
                Err(error) => {
                    complain("sort", &operand, error);
                    return 2;
                }
            }
        }
    }
    let Ok(sorted) = lines.sorted(&order) else {
        return out_of_memory();
    };
    // Written in pieces: the sorted text is never held whole.
    if let Some(path) = parsed.value('o') {
        let fd = match libos::fs::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o666) {
            Ok(fd) => fd,
            Err(error) => {
                complain("sort", path, error);
                return 2;
            }
        };
        let mut piece = Vec::with_capacity(8192);
        let mut result = Ok(());
        for &index in &sorted {
            piece.extend_from_slice(lines.line(index));
            piece.push(b'\n');
            if piece.len() >= 4096 {
                result = crate::streams::write_fd(fd, &piece);
                piece.clear();
                if result.is_err() {
                    break;
                }
            }
        }
        if result.is_ok() {
            result = crate::streams::write_fd(fd, &piece);
        }
        let _ = close(fd);
        return match result {
            Ok(()) => 0,
            Err(error) => {
                complain("sort", path, error);
                2
            }
        };
    }
    for &index in &sorted {
        if !out(lines.line(index)) || !out(b"\n") {
            return finish(2);
        }
    }
    finish(0)
}
/// `uniq [-c|-d|-u] [INPUT [OUTPUT]]`
pub fn uniq(operands: &[String]) -> i32 {
    let usage = "uniq [-c|-d|-u] [-f FIELDS] [-s CHARACTERS] [INPUT [OUTPUT]]";
    let parsed = match options("uniq", operands, "cdu", "fs", usage) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let mut skips = [0usize; 2];
    for (slot, letter) in skips.iter_mut().zip(['f', 's']) {
        if let Some(text) = parsed.value(letter) {
            let Ok(value) = text.parse::<usize>() else {
                error_line(&alloc::format!(
                    "uniq: invalid number: '{text}'\nusage: {usage}"
                ));
                return 2;
            };
            *slot = value;
        }
    }
    if parsed.operands.len() > 2 {
        error_line(&alloc::format!("uniq: extra operand\nusage: {usage}"));
        return 2;
    }
    let mut uniq = Uniq::new(UniqOptions {
        count: parsed.has('c'),
        repeated_only: parsed.has('d'),
        unique_only: parsed.has('u'),
        skip_fields: skips[0],
        skip_characters: skips[1],
    });
    let operand = parsed
        .operands
        .first()
        .cloned()
        .unwrap_or_else(|| String::from("-"));
    let mut input = match Input::open(&operand) {
        Ok(input) => input,
        Err(error) => {
            complain("uniq", &operand, error);
            return 1;
        }
    };
    let output_path = parsed.operands.get(1);
    let output_fd = match output_path {
        None => None,
        Some(path) => match libos::fs::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o666) {
            Ok(fd) => Some(fd),
            Err(error) => {
                complain("uniq", path, error);
                return 1;
            }
        },
    };
    let mut pending = Vec::new();
    let mut status = 0;
    let emit = |pending: &mut Vec<u8>| -> bool {
        let done = match output_fd {
            None => out(pending),
            Some(fd) => crate::streams::write_fd(fd, pending).is_ok(),
        };
        pending.clear();
        done
    };
    loop {
        match input.next_line() {
            Ok(Some((line, _))) => {
                uniq.feed(&line, &mut pending);
                if pending.len() >= 4096 && !emit(&mut pending) {
                    status = 1;
                    break;
                }
            }
            Ok(None) => break,
            Err(error) => {
                complain("uniq", &operand, error);
                status = 1;
                break;
            }
        }
    }
    uniq.finish(&mut pending);
    if !emit(&mut pending) {
        status = 1;
    }
    if let Some(fd) = output_fd {
        let _ = close(fd);
    }
    finish(status)
}

/// `cut -b LIST | -c LIST | -f LIST [-d DELIM] [-s] [FILE]...`
pub fn cut(operands: &[String]) -> i32 {
    let usage = "cut -b LIST [-n] | -c LIST | -f LIST [-d DELIM] [-s] [FILE]...";
    let parsed = match options("cut", operands, "sn", "bcfd", usage) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let (list, fields) = match (parsed.value('b').or(parsed.value('c')), parsed.value('f')) {
        (Some(list), None) => (list, false),
        (None, Some(list)) => (list, true),
        _ => {
            error_line(&alloc::format!(
                "cut: specify one of -b, -c or -f\nusage: {usage}"
            ));
            return 2;
        }
    };
    let Ok(ranges) = parse_list(list) else {
        error_line(&alloc::format!("cut: invalid list: '{list}'"));
        return 2;
    };
    let delimiter = match parsed.value('d').map(str::as_bytes) {
        None => b'\t',
        Some([byte]) => *byte,
        Some(_) => {
            error_line("cut: the delimiter must be a single character");
            return 2;
        }
    };
    let mut status = 0;
    for operand in inputs(&parsed.operands) {
        let mut input = match Input::open(&operand) {
            Ok(input) => input,
            Err(error) => {
                complain("cut", &operand, error);
                status = 1;
                continue;
            }
        };
        loop {
            let line = match input.next_line() {
                Ok(Some((line, _))) => line,
                Ok(None) => break,
                Err(error) => {
                    complain("cut", &operand, error);
                    status = 1;
                    break;
                }
            };
            let selected = if fields {
                select_fields(&line, delimiter, &ranges, parsed.has('s'))
            } else {
                Some(select_bytes(&line, &ranges))
            };
            if let Some(selected) = selected
                && (!out(&selected) || !out(b"\n"))
            {
                return finish(1);
            }
        }
    }
    finish(status)
}

/// `tr [-c|-C] [-d] [-s] SET1 [SET2]` (standard input to standard output).
pub fn tr(operands: &[String]) -> i32 {
    let usage = "tr [-Ccds] SET1 [SET2]";
    let parsed = match options("tr", operands, "Ccds", "", usage) {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let trop = TrOptions {
        complement: parsed.has('c') || parsed.has('C'),
        delete: parsed.has('d'),
        squeeze: parsed.has('s'),
    };
    let (first, second) = match parsed.operands.as_slice() {
        [first] => (first, None),
        [first, second] => (first, Some(second.as_bytes())),
        _ => {
            error_line(&alloc::format!(
                "tr: missing or extra operand\nusage: {usage}"
            ));
            return 2;
        }
    };
    let mut translator = match Translator::new(trop, first.as_bytes(), second) {
        Ok(translator) => translator,
        Err(error) => {
            let message = match error {
                TrError::Set(error) => alloc::format!("{error}"),
                TrError::MissingSecondSet => String::from("missing operand after the first set"),
                TrError::ExtraSet => {
                    String::from("extra operand: only one set may be given with -d")
                }
            };
            error_line(&alloc::format!("tr: {message}\nusage: {usage}"));
            return 2;
        }
    };
    let mut input = match Input::open("-") {
        Ok(input) => input,
        Err(error) => {
            complain("tr", "-", error);
            return 1;
        }
    };
    let mut piece = [0u8; 4096];
    let mut translated = Vec::with_capacity(4096);
    loop {
        match input.read_piece(&mut piece) {
            Ok(0) => break,
            Ok(length) => {
                translated.clear();
                translator.apply(&piece[..length], &mut translated);
                if !out(&translated) {
                    return finish(1);
                }
            }
            Err(error) => {
                complain("tr", "-", error);
                return finish(1);
            }
        }
    }
    finish(0)
}

/// `tee [-a] [FILE]...`
pub fn tee(operands: &[String]) -> i32 {
    let parsed = match options("tee", operands, "a", "", "tee [-a] [FILE]...") {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };
    let flags = O_WRONLY | O_CREAT | if parsed.has('a') { O_APPEND } else { O_TRUNC };
    let mut status = 0;
    let mut files: Vec<(i32, &String)> = Vec::new();
    for path in &parsed.operands {
        match libos::fs::open(path, flags, 0o666) {
            Ok(fd) => files.push((fd, path)),
            Err(error) => {
                complain("tee", path, error);
                status = 1;
            }
        }
    }
    let mut input = match Input::open("-") {
        Ok(input) => input,
        Err(error) => {
            complain("tee", "-", error);
            return 1;
        }
    };
    let mut piece = [0u8; 4096];
    loop {
        match input.read_piece(&mut piece) {
            Ok(0) => break,
            Ok(length) => {
                // Standard output is not buffered here: tee passes data on as it comes.
                if output_open() {
                    out(&piece[..length]);
                    crate::streams::flush_output();
                }
                files.retain(
                    |(fd, path)| match crate::streams::write_fd(*fd, &piece[..length]) {
                        Ok(()) => true,
                        Err(error) => {
                            complain("tee", path, error);
                            status = 1;
                            let _ = close(*fd);
                            false
                        }
                    },
                );
            }
            Err(error) => {
                complain("tee", "-", error);
                status = 1;
                break;
            }
        }
    }
    for (fd, _) in files {
        let _ = close(fd);
    }
    finish(status)
}

/// `yes [STRING]...`: until its reader goes away.
pub fn yes(operands: &[String]) -> i32 {
    let operands = utility_logic::options::without_end_of_options(operands);
    let mut line = if operands.is_empty() {
        String::from("y")
    } else {
        operands.join(" ")
    };
    line.push('\n');
    let mut block = Vec::new();
    while block.len() < 4096 {
        block.extend_from_slice(line.as_bytes());
    }
    while out(&block) {}
    finish(1)
}

/// `seq [-w] [-s SEPARATOR] [FIRST [INCREMENT]] LAST`
pub fn seq(operands: &[String]) -> i32 {
    let usage = "seq [-w] [-s SEPARATOR] [FIRST [INCREMENT]] LAST";
    let mut separator = String::from("\n");
    let mut equal_width = false;
    let mut index = 0;
    // Negative numbers are operands, not options.
    while let Some(word) = operands.get(index) {
        let bytes = word.as_bytes();
        if bytes.len() < 2 || bytes[0] != b'-' || bytes[1].is_ascii_digit() || bytes[1] == b'.' {
            break;
        }
        index += 1;
        match word.as_str() {
            "--" => break,
            "-w" => equal_width = true,
            "-s" => match operands.get(index) {
                Some(value) => {
                    separator = value.clone();
                    index += 1;
                }
                None => {
                    error_line(&alloc::format!(
                        "seq: option requires an argument -- 's'\nusage: {usage}"
                    ));
                    return 2;
                }
            },
            _ if word.starts_with("-s") => separator = String::from(&word[2..]),
            _ => {
                error_line(&alloc::format!(
                    "seq: invalid option '{word}'\nusage: {usage}"
                ));
                return 2;
            }
        }
    }
    let words: Vec<&str> = operands[index..].iter().map(String::as_str).collect();
    let sequence = match utility_logic::seq::Sequence::new(&words, equal_width) {
        Ok(sequence) => sequence,
        Err(utility_logic::seq::SeqError::InvalidNumber(word)) => {
            error_line(&alloc::format!("seq: invalid number: '{word}'"));
            return 2;
        }
        Err(utility_logic::seq::SeqError::ZeroIncrement) => {
            error_line("seq: the increment must not be zero");
            return 2;
        }
        Err(utility_logic::seq::SeqError::Operands) => {
            error_line(&alloc::format!(
                "seq: missing or extra operand\nusage: {usage}"
            ));
            return 2;
        }
    };
    let mut first = true;
    for number in sequence {
        if !first && !out_str(&separator) {
            return finish(1);
        }
        first = false;
        if !out_str(&number) {
            return finish(1);
        }
    }
    if !first {
        out(b"\n");
    }
    finish(0)
}
