//! Keeps `docs/abi.md` true to the ABI crate: every call, error, right, object kind,
//! environment state, initial slot, shared layout and ABI limit it names must match the code.

use std::mem::{offset_of, size_of};

use exokernel_abi::{
    Call, CallNumber, EnvironmentState, ExceptionFrame, KernelError, MapOperation, ObjectKind,
    PAGE_SIZE, PageCount, RawCall, RegisterSet, Rights, TimePage, USER_ADDRESS_LIMIT, initial,
};

/// The argument registers, in order.
const REGISTERS: [&str; 6] = ["rdi", "rsi", "rdx", "r10", "r8", "r9"];

fn document() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/abi.md");
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("reading {path}: {error}"))
}

/// The heading of a call's section, e.g. `### 0x1000_0007 FrameAllocate`.
fn heading(number: CallNumber) -> String {
    let value = number as u64;
    assert!(value <= u64::from(u32::MAX), "{}", number.name());
    format!(
        "### 0x{:04x}_{:04x} {}",
        value >> 16,
        value & 0xffff,
        number.name()
    )
}

/// The lines of `document` from the heading of `number` up to the next heading.
fn section(document: &str, number: CallNumber) -> Vec<&str> {
    let heading = heading(number);
    let mut lines = document.lines().skip_while(|line| *line != heading);
    assert!(lines.next().is_some(), "no heading `{heading}`");
    lines
        .take_while(|line| !line.starts_with("## ") && !line.starts_with("### "))
        .collect()
}

/// Splits `text` at the commas outside parentheses.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (index, character) in text.char_indices() {
        match character {
            '(' | '{' => depth += 1,
            ')' | '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(text[start..index].trim());
                start = index + 1;
            }
            _ => {}
        }
    }
    let last = text[start..].trim();
    if !last.is_empty() {
        parts.push(last);
    }
    parts
}

/// A call with the given number, decoded from the first register values that every argument
/// type accepts (slots, rights masks, addresses, page addresses and page counts included).
fn some_call(number: CallNumber) -> Call {
    const CANDIDATES: [u64; 3] = [0, 1, PAGE_SIZE];
    let combinations = CANDIDATES.len().pow(6);
    (0..combinations)
        .find_map(|mut combination| {
            let mut arguments = [0u64; 6];
            for argument in &mut arguments {
                *argument = CANDIDATES[combination % CANDIDATES.len()];
                combination /= CANDIDATES.len();
            }
            Call::decode(&RawCall {
                number: number as u64,
                arguments,
            })
            .ok()
        })
        .unwrap_or_else(|| panic!("no test arguments decode for {}", number.name()))
}

/// `rdi name: Type, rsi name: Type, …` for a call, read from its derived `Debug` output
/// (`Name { field: Type(value), field: 0 }`), or `none`.
fn argument_list(number: CallNumber) -> String {
    let debug = format!("{:?}", some_call(number));
    let Some((_, body)) = debug.split_once(" { ") else {
        return "none".to_owned();
    };
    let fields = split_top_level(body.trim_end_matches('}'));
    assert!(fields.len() <= REGISTERS.len(), "{debug}");
    let arguments: Vec<String> = fields
        .iter()
        .zip(REGISTERS)
        .map(|(field, register)| {
            let (name, value) = field
                .split_once(": ")
                .unwrap_or_else(|| panic!("unexpected field `{field}` in {debug}"));
            let type_name = if value.starts_with(|character: char| character.is_ascii_digit()) {
                "u64"
            } else {
                value.split('(').next().unwrap_or(value)
            };
            format!("{register} {name}: {type_name}")
        })
        .collect();
    format!("`{}`", arguments.join(", "))
}

fn error_names() -> Vec<String> {
    KernelError::ALL
        .iter()
        .map(|error| format!("{error:?}"))
        .collect()
}

/// `0x0000_7fff_ffff_f000`: how addresses are written in the document.
fn grouped_hexadecimal(value: u64) -> String {
    let digits = format!("{value:016x}");
    let groups: Vec<&str> = (0..4)
        .map(|group| &digits[group * 4..group * 4 + 4])
        .collect();
    format!("0x{}", groups.join("_"))
}

fn assert_contains(document: &str, expected: &str) {
    assert!(
        document.contains(expected),
        "docs/abi.md lacks `{expected}`"
    );
}

#[test]
fn every_call_has_a_heading_with_its_number_in_table_order() {
    let document = document();
    let documented: Vec<&str> = document
        .lines()
        .filter(|line| {
            line.strip_prefix("### ")
                .is_some_and(|rest| rest.starts_with(|character: char| character.is_ascii_digit()))
        })
        .collect();
    let expected: Vec<String> = CallNumber::ALL
        .iter()
        .map(|&number| heading(number))
        .collect();
    assert_eq!(documented, expected);
}

#[test]
fn every_call_section_names_its_arguments_rights_result_blocking_and_errors() {
    let document = document();
    let errors = error_names();
    for &number in CallNumber::ALL {
        let lines = section(&document, number);
        let name = number.name();
        let arguments = format!("**Arguments:** {}", argument_list(number));
        assert!(
            lines.iter().any(|line| line.trim() == arguments),
            "{name}: expected the line `{arguments}`"
        );
        for label in [
            "- **Rights:**",
            "- **Returns:**",
            "- **Blocks:**",
            "- **Errors",
        ] {
            assert!(
                lines.iter().any(|line| line.starts_with(label)),
                "{name}: no `{label}` line"
            );
        }
        let error_items: Vec<&str> = lines
            .iter()
            .map(|line| line.trim_start())
            .filter(|line| line.starts_with("- `"))
            .collect();
        let no_errors = lines.contains(&"- **Errors:** none.");
        assert!(
            no_errors == error_items.is_empty(),
            "{name}: list its errors or say `- **Errors:** none.`, not both"
        );
        for item in error_items {
            let (names, _) = item
                .split_once(" — ")
                .unwrap_or_else(|| panic!("{name}: error item without ` — `: {item}"));
            for named in names.trim_start_matches("- ").split(", ") {
                let named = named.trim_matches('`');
                assert!(
                    errors.iter().any(|error| error == named),
                    "{name}: `{named}` is not a KernelError"
                );
            }
        }
    }
}

#[test]
fn every_error_is_in_the_error_table() {
    let document = document();
    for error in KernelError::ALL {
        assert_contains(&document, &format!("| {} | `{error:?}` |", error.code()));
    }
}

#[test]
fn every_right_is_in_the_rights_table() {
    let document = document();
    for (name, right) in Rights::all().iter_names() {
        let bit = right.bits().trailing_zeros();
        assert_contains(&document, &format!("| {bit} | `{name}` |"));
    }
}

#[test]
fn every_object_kind_and_environment_state_is_in_its_table() {
    let document = document();
    let kinds: Vec<ObjectKind> = (1..)
        .map_while(|code| ObjectKind::from_code(code).ok())
        .collect();
    assert!(!kinds.is_empty());
    for kind in kinds {
        assert_contains(&document, &format!("| {} | `{kind:?}` |", kind as u64));
    }
    let states: Vec<EnvironmentState> = (0..)
        .map_while(|code| EnvironmentState::from_code(code).ok())
        .collect();
    assert!(!states.is_empty());
    for state in states {
        assert_contains(&document, &format!("| {} | `{state:?}` |", state as u64));
    }
}

#[test]
fn initial_slots_and_limits_match_the_constants() {
    let document = document();
    for (name, slot) in [
        ("SELF_ENVIRONMENT", initial::SELF_ENVIRONMENT),
        ("SELF_ADDRESS_SPACE", initial::SELF_ADDRESS_SPACE),
        ("MEMORY_QUOTA", initial::MEMORY_QUOTA),
        ("CONSOLE", initial::CONSOLE),
        ("INITRAMFS", initial::INITRAMFS),
        ("TIME_PAGE", initial::TIME_PAGE),
        ("FIRST_IMAGE_SLOT", initial::FIRST_IMAGE_SLOT),
        ("FIRST_FREE_SLOT", initial::FIRST_FREE_SLOT),
    ] {
        assert_contains(&document, &format!("| {} | `{name}` |", slot.0));
    }
    for (name, value) in [
        ("PAGE_SIZE", PAGE_SIZE.to_string()),
        (
            "USER_ADDRESS_LIMIT",
            format!("`{}`", grouped_hexadecimal(USER_ADDRESS_LIMIT)),
        ),
        ("PageCount::MAXIMUM", PageCount::MAXIMUM.to_string()),
        (
            "MapOperation::MAXIMUM_BATCH",
            MapOperation::MAXIMUM_BATCH.to_string(),
        ),
        (
            "PageCopy::MAXIMUM_BATCH",
            exokernel_abi::PageCopy::MAXIMUM_BATCH.to_string(),
        ),
        (
            "FRAME_COPY_MAXIMUM_PAGES",
            exokernel_abi::FRAME_COPY_MAXIMUM_PAGES.to_string(),
        ),
        ("initial::SLOT_COUNT", initial::SLOT_COUNT.to_string()),
        (
            "KERNEL_LOG_READ_MAXIMUM",
            exokernel_abi::KERNEL_LOG_READ_MAXIMUM.to_string(),
        ),
        (
            "initial::STACK_TOP",
            format!("`{}`", grouped_hexadecimal(initial::STACK_TOP)),
        ),
        ("initial::STACK_PAGES", initial::STACK_PAGES.to_string()),
    ] {
        assert_contains(&document, &format!("| `{name}` | {value} |"));
    }
}

#[test]
fn shared_layouts_match_the_types() {
    let document = document();
    assert_contains(
        &document,
        &format!("{} bytes, `repr(C)`", size_of::<RegisterSet>()),
    );
    assert_contains(
        &document,
        &format!("{} bytes, `repr(C)`", size_of::<ExceptionFrame>()),
    );
    assert_contains(
        &document,
        &format!("{} bytes, `repr(C)`", size_of::<MapOperation>()),
    );
    assert_contains(
        &document,
        &format!("{} bytes, `repr(C)`", size_of::<TimePage>()),
    );
    let time_page_fields = [
        ("layout_version", offset_of!(TimePage, layout_version)),
        ("boot_timestamp", offset_of!(TimePage, boot_timestamp)),
        (
            "timestamp_frequency",
            offset_of!(TimePage, timestamp_frequency),
        ),
        ("multiplier", offset_of!(TimePage, multiplier)),
        ("shift", offset_of!(TimePage, shift)),
        (
            "realtime_at_boot_seconds",
            offset_of!(TimePage, realtime_at_boot_seconds),
        ),
        ("tick_nanoseconds", offset_of!(TimePage, tick_nanoseconds)),
    ];
    for (field, offset) in time_page_fields {
        assert_contains(&document, &format!("| {offset} | `{field}` |"));
    }
    let register_fields = [
        ("rax", offset_of!(RegisterSet, rax)),
        ("rbx", offset_of!(RegisterSet, rbx)),
        ("rcx", offset_of!(RegisterSet, rcx)),
        ("rdx", offset_of!(RegisterSet, rdx)),
        ("rsi", offset_of!(RegisterSet, rsi)),
        ("rdi", offset_of!(RegisterSet, rdi)),
        ("rbp", offset_of!(RegisterSet, rbp)),
        ("rsp", offset_of!(RegisterSet, rsp)),
        ("r8", offset_of!(RegisterSet, r8)),
        ("r9", offset_of!(RegisterSet, r9)),
        ("r10", offset_of!(RegisterSet, r10)),
        ("r11", offset_of!(RegisterSet, r11)),
        ("r12", offset_of!(RegisterSet, r12)),
        ("r13", offset_of!(RegisterSet, r13)),
        ("r14", offset_of!(RegisterSet, r14)),
        ("r15", offset_of!(RegisterSet, r15)),
        ("rip", offset_of!(RegisterSet, rip)),
        ("rflags", offset_of!(RegisterSet, rflags)),
        ("fs_base", offset_of!(RegisterSet, fs_base)),
        ("gs_base", offset_of!(RegisterSet, gs_base)),
    ];
    let frame_fields = [
        ("registers", offset_of!(ExceptionFrame, registers)),
        ("vector", offset_of!(ExceptionFrame, vector)),
        ("error_code", offset_of!(ExceptionFrame, error_code)),
        ("fault_address", offset_of!(ExceptionFrame, fault_address)),
    ];
    let operation_fields = [
        ("kind", offset_of!(MapOperation, kind)),
        ("frame", offset_of!(MapOperation, frame)),
        ("virtual_address", offset_of!(MapOperation, virtual_address)),
        ("first_page", offset_of!(MapOperation, first_page)),
        ("page_count", offset_of!(MapOperation, page_count)),
        ("rights", offset_of!(MapOperation, rights)),
    ];
    for (field, offset) in register_fields
        .iter()
        .chain(&frame_fields)
        .chain(&operation_fields)
    {
        assert_contains(&document, &format!("| {offset} | `{field}` |"));
    }
}
