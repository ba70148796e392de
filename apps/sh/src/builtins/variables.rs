//! Built-ins over variables and parameters: `export`, `unset`, `set`, `shift`, `read`.

use alloc::string::String;
use alloc::vec::Vec;

use libos::io::read as read_fd;
use shell_language::parser::is_name;
use shell_language::quote::quote;

use crate::shell::{Shell, Variable};
use crate::{complain, out};

/// `export [-p] [name[=value]…]`: marks variables for the environment of programs.
pub fn export(shell: &mut Shell, arguments: &[&str]) -> i32 {
    if arguments.is_empty() || arguments == ["-p"] {
        for (name, variable) in &shell.variables {
            if variable.exported {
                out!("export {name}={}\n", quote(&variable.value));
            }
        }
        return 0;
    }
    let mut status = 0;
    for argument in arguments {
        let (name, value) = match argument.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (*argument, None),
        };
        if !is_name(name) {
            complain!("export: {argument}: not a valid name");
            status = 1;
            continue;
        }
        let variable = shell
            .variables
            .entry(String::from(name))
            .or_insert(Variable {
                value: String::new(),
                exported: true,
            });
        variable.exported = true;
        if let Some(value) = value {
            variable.value = String::from(value);
        }
    }
    status
}

/// `unset [-v | -f] name…`.
pub fn unset(shell: &mut Shell, arguments: &[&str]) -> i32 {
    let (functions, names) = match arguments.first() {
        Some(&"-f") => (true, &arguments[1..]),
        Some(&"-v") => (false, &arguments[1..]),
        _ => (false, arguments),
    };
    for name in names {
        if functions {
            shell.functions.remove(*name);
        } else {
            shell.variables.remove(*name);
        }
    }
    0
}

/// `set [-efx] [+efx] [-o option] [--] [argument…]`: options and positional parameters; without
/// arguments, lists the variables.
pub fn set(shell: &mut Shell, arguments: &[&str]) -> i32 {
    if arguments.is_empty() {
        for (name, variable) in &shell.variables {
            out!("{name}={}\n", quote(&variable.value));
        }
        return 0;
    }
    let mut index = 0;
    while let Some(argument) = arguments.get(index) {
        if *argument == "--" {
            index += 1;
            shell.positional = arguments[index..]
                .iter()
                .map(|&word| String::from(word))
                .collect();
            return 0;
        }
        let enable = match argument.chars().next() {
            Some('-') => true,
            Some('+') => false,
            _ => break,
        };
        if argument.len() == 1 {
            index += 1;
            break;
        }
        if argument[1..] == *"o" {
            let Some(option) = arguments.get(index + 1) else {
                for (name, on) in [
                    ("errexit", shell.options.exit_on_error),
                    ("noglob", shell.options.no_glob),
                    ("xtrace", shell.options.trace),
                ] {
                    out!("{name}\t{}\n", if on { "on" } else { "off" });
                }
                return 0;
            };
            let letter = match *option {
                "errexit" => 'e',
                "noglob" => 'f',
                "xtrace" => 'x',
                other => {
                    complain!("set: {other}: unknown option");
                    return 2;
                }
            };
            set_option(shell, letter, enable);
            index += 2;
            continue;
        }
        for letter in argument[1..].chars() {
            if !set_option(shell, letter, enable) {
                complain!("set: -{letter}: unknown option");
                return 2;
            }
        }
        index += 1;
    }
    if index < arguments.len() {
        shell.positional = arguments[index..]
            .iter()
            .map(|&word| String::from(word))
            .collect();
    }
    0
}

fn set_option(shell: &mut Shell, letter: char, enable: bool) -> bool {
    match letter {
        'e' => shell.options.exit_on_error = enable,
        'f' => shell.options.no_glob = enable,
        'x' => shell.options.trace = enable,
        // Accepted and meaningless here: no unset-variable errors, no job control switch yet.
        _ => return false,
    }
    true
}

/// `shift [n]`.
pub fn shift(shell: &mut Shell, arguments: &[&str]) -> i32 {
    let count = match arguments.first().map(|text| text.parse::<usize>()) {
        None => 1,
        Some(Ok(count)) => count,
        Some(Err(_)) => {
            complain!("shift: numeric argument required");
            return 2;
        }
    };
    if count > shell.positional.len() {
        complain!("shift: cannot shift that many");
        return 1;
    }
    shell.positional.drain(..count);
    0
}

/// `read [-r] name…`: a line from standard input, split on `IFS` into the names (the last gets
/// the rest). Without `-r`, a backslash escapes the next character and joins lines. Status 1 at
/// end of file.
pub fn read(shell: &mut Shell, arguments: &[&str]) -> i32 {
    let (raw, names) = match arguments.first() {
        Some(&"-r") => (true, &arguments[1..]),
        _ => (false, arguments),
    };
    let names: Vec<&str> = if names.is_empty() {
        alloc::vec!["REPLY"]
    } else {
        names.to_vec()
    };
    if let Some(bad) = names.iter().find(|name| !is_name(name)) {
        complain!("read: {bad}: not a valid name");
        return 2;
    }
    // Characters read, each marked whether a backslash protected it from splitting.
    let mut line: Vec<(char, bool)> = Vec::new();
    let mut ended = false;
    let mut escaped = false;
    let mut bytes = Vec::new();
    loop {
        let mut byte = [0u8; 1];
        match read_fd(0, &mut byte) {
            Ok(1..) => {}
            _ => {
                ended = true;
                break;
            }
        }
        bytes.push(byte[0]);
        let Ok(text) = core::str::from_utf8(&bytes) else {
            if bytes.len() < 4 {
                continue;
            }
            bytes.clear();
            continue;
        };
        let Some(character) = text.chars().next() else {
            continue;
        };
        bytes.clear();
        if escaped {
            escaped = false;
            if character != '\n' {
                line.push((character, true));
            }
            continue;
        }
        match character {
            '\n' => break,
            '\\' if !raw => escaped = true,
            other => line.push((other, false)),
        }
    }
    if ended && line.is_empty() {
        for name in &names {
            shell.set(name, "");
        }
        return 1;
    }
    let separators = String::from(shell.get("IFS").unwrap_or(" \t\n"));
    let is_separator =
        |&(character, protected): &(char, bool)| !protected && separators.contains(character);
    let mut rest: &[(char, bool)] = &line;
    for (index, name) in names.iter().enumerate() {
        while rest.first().is_some_and(is_separator) {
            rest = &rest[1..];
        }
        let value: String = if index + 1 == names.len() {
            let mut end = rest.len();
            while end > 0 && is_separator(&rest[end - 1]) {
                end -= 1;
            }
            let value = rest[..end]
                .iter()
                .map(|&(character, _)| character)
                .collect();
            rest = &[];
            value
        } else {
            let end = rest.iter().position(is_separator).unwrap_or(rest.len());
            let value = rest[..end]
                .iter()
                .map(|&(character, _)| character)
                .collect();
            rest = &rest[end..];
            value
        };
        shell.set(name, &value);
    }
    i32::from(ended)
}
