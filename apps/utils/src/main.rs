//! `utils`: the native utilities in one multi-call program. `/bin/ls`, `/bin/cat`, … are hard
//! links to `/bin/utils` (`apps/utils/initramfs-names`); it acts on the name it was started
//! as (the last component of its first word), or on its first operand when started as `utils`
//! (`utils ls -l`). The pure logic lives in `utility-logic`, tested on the host.
#![no_std]
#![no_main]

extern crate alloc;

mod files;
mod streams;
mod system;
mod text;

use alloc::string::String;
use alloc::vec::Vec;

use libos::Startup;

libos::main!(main);

fn main(startup: &Startup) -> i32 {
    let mut arguments: Vec<String> = startup.arguments().collect();
    let environment: Vec<String> = startup.environment_variables().collect();
    let mut name = arguments
        .first()
        .map(|word| utility_logic::names::basename(word, None))
        .unwrap_or_default();
    if name == "utils" {
        if arguments.len() < 2 {
            streams::error_line(&alloc::format!(
                "usage: utils NAME [ARGUMENT]...\nnames: {}",
                utility_logic::UTILITIES.join(" ")
            ));
            return 1;
        }
        arguments.remove(0);
        name = arguments[0].clone();
    }
    let operands = &arguments[1.min(arguments.len())..];
    let status = run(&name, operands, &environment);
    streams::flush_output();
    status
}

/// Runs utility `name` with its `operands`; the exit status.
fn run(name: &str, operands: &[String], environment: &[String]) -> i32 {
    match name {
        "cat" => text::cat(operands),
        "echo" => text::echo(operands),
        "printf" => text::printf(operands),
        "wc" => text::wc(operands),
        "head" => text::head(operands),
        "tail" => text::tail(operands),
        "grep" => text::grep(operands),
        "sort" => text::sort(operands),
        "uniq" => text::uniq(operands),
        "cut" => text::cut(operands),
        "tr" => text::tr(operands),
        "tee" => text::tee(operands),
        "yes" => text::yes(operands),
        "seq" => text::seq(operands),
        "ls" => files::ls(operands),
        "mkdir" => files::mkdir(operands),
        "rmdir" => files::rmdir(operands),
        "rm" => files::rm(operands),
        "mv" => files::mv(operands),
        "cp" => files::cp(operands),
        "ln" => files::ln(operands),
        "touch" => files::touch(operands),
        "chmod" => files::chmod(operands),
        "chown" => files::chown(operands),
        "stat" => files::stat(operands),
        "pwd" => files::pwd(operands),
        "env" => system::env(operands, environment),
        "true" => 0,
        "false" => 1,
        "sleep" => system::sleep(operands),
        "kill" => system::kill(operands),
        "ps" => system::ps(operands),
        "mount" => system::mount(operands),
        "umount" => system::umount(operands),
        "test" => system::test(operands, false),
        "[" => system::test(operands, true),
        "basename" => system::basename(operands),
        "dirname" => system::dirname(operands),
        "id" => system::id(operands),
        "uname" => system::uname(operands),
        "date" => system::date(operands),
        "dmesg" => system::dmesg(operands),
        _ => {
            streams::error_line(&alloc::format!("utils: {name}: applet not found"));
            127
        }
    }
}
