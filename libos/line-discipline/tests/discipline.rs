//! The line discipline fed bytes as a person would type them: lines, editing, echo, signals,
//! modes, and property tests against a simple model of canonical editing.

use libposix_sys::termios::{
    ECHO, ECHOCTL, ECHOE, ECHOK, ECHOKE, ECHONL, ICANON, ICRNL, ISIG, NOFLSH, ONLCR, OPOST, VMIN,
    VTIME,
};
use line_discipline::{LineDiscipline, MAXIMUM_LINE, ReadOutcome, Signal};
use proptest::prelude::*;

fn typed(discipline: &mut LineDiscipline, bytes: &[u8]) -> (Vec<u8>, Vec<Signal>) {
    let mut echo = Vec::new();
    let signals = discipline.receive(bytes, &mut echo);
    (echo, signals)
}

fn read_all(discipline: &mut LineDiscipline) -> Vec<ReadOutcome> {
    let mut outcomes = Vec::new();
    let mut buffer = [0u8; 64];
    loop {
        match discipline.read(&mut buffer) {
            ReadOutcome::Empty => return outcomes,
            outcome => outcomes.push(outcome),
        }
    }
}

fn read_line(discipline: &mut LineDiscipline) -> Option<Vec<u8>> {
    let mut buffer = [0u8; 8192];
    match discipline.read(&mut buffer) {
        ReadOutcome::Bytes(count) => Some(buffer[..count].to_vec()),
        _ => None,
    }
}

fn with_local_flags(discipline: &mut LineDiscipline, set: u32, clear: u32) {
    let mut settings = discipline.settings();
    settings.c_lflag = (settings.c_lflag | set) & !clear;
    discipline.set_settings(settings, false);
}

#[test]
fn canonical_mode_hands_over_whole_lines_only() {
    let mut discipline = LineDiscipline::new();
    let (echo, signals) = typed(&mut discipline, b"hel");
    assert_eq!(echo, b"hel");
    assert!(signals.is_empty());
    assert!(!discipline.has_input());
    assert_eq!(discipline.available(), 0);
    typed(&mut discipline, b"lo\rworld\n");
    assert_eq!(discipline.available(), 12);
    assert_eq!(read_line(&mut discipline).as_deref(), Some(&b"hello\n"[..]));
    assert_eq!(read_line(&mut discipline).as_deref(), Some(&b"world\n"[..]));
    assert_eq!(read_line(&mut discipline), None);
}

#[test]
fn a_short_buffer_takes_a_line_in_pieces() {
    let mut discipline = LineDiscipline::new();
    typed(&mut discipline, b"abcdef\nxy\n");
    let mut buffer = [0u8; 4];
    assert_eq!(discipline.read(&mut buffer), ReadOutcome::Bytes(4));
    assert_eq!(&buffer, b"abcd");
    assert_eq!(discipline.read(&mut buffer), ReadOutcome::Bytes(3));
    assert_eq!(&buffer[..3], b"ef\n");
    assert_eq!(discipline.read(&mut buffer), ReadOutcome::Bytes(3));
}

#[test]
fn erase_backspace_kill_and_word_erase_edit_the_line() {
    let mut discipline = LineDiscipline::new();
    let (echo, _) = typed(&mut discipline, b"abc\x7f\x08d\n");
    assert_eq!(read_line(&mut discipline).as_deref(), Some(&b"ad\n"[..]));
    assert_eq!(echo, b"abc\x08 \x08\x08 \x08d\n");
    typed(&mut discipline, b"junk\x15ok\n");
    assert_eq!(read_line(&mut discipline).as_deref(), Some(&b"ok\n"[..]));
    typed(&mut discipline, b"one two  \x17three\n");
    assert_eq!(
        read_line(&mut discipline).as_deref(),
        Some(&b"one three\n"[..])
    );
    // Erasing past the start of the line does nothing.
    typed(&mut discipline, b"\x7f\x7fz\n");
    assert_eq!(read_line(&mut discipline).as_deref(), Some(&b"z\n"[..]));
}

#[test]
fn kill_echo_follows_echok_and_echoke() {
    let mut discipline = LineDiscipline::new();
    with_local_flags(&mut discipline, ECHOK, ECHOKE | ECHOCTL);
    let (echo, _) = typed(&mut discipline, b"ab\x15");
    assert_eq!(echo, b"ab\x15\n");
    let mut discipline = LineDiscipline::new();
    let (echo, _) = typed(&mut discipline, b"ab\x15");
    assert_eq!(echo, b"ab\x08 \x08\x08 \x08");
}

#[test]
fn erase_rubs_out_both_columns_of_an_echoed_control_character() {
    let mut discipline = LineDiscipline::new();
    let (echo, _) = typed(&mut discipline, b"\x01\x7f");
    assert_eq!(echo, b"^A\x08 \x08\x08 \x08");
    with_local_flags(&mut discipline, 0, ECHOE);
    let (echo, _) = typed(&mut discipline, b"x\x7f");
    assert_eq!(echo, b"x");
}

#[test]
fn end_of_file_at_line_start_reads_zero_and_elsewhere_ends_the_line() {
    let mut discipline = LineDiscipline::new();
    typed(&mut discipline, b"\x04");
    assert_eq!(read_all(&mut discipline), [ReadOutcome::EndOfFile]);
    typed(&mut discipline, b"partial\x04");
    assert_eq!(read_line(&mut discipline).as_deref(), Some(&b"partial"[..]));
    typed(&mut discipline, b"x\n\x04");
    assert_eq!(
        read_all(&mut discipline),
        [ReadOutcome::Bytes(2), ReadOutcome::EndOfFile]
    );
}

#[test]
fn signal_characters_raise_signals_and_flush_unless_noflsh() {
    let mut discipline = LineDiscipline::new();
    let (echo, signals) = typed(&mut discipline, b"abc\x03");
    assert_eq!(signals, [Signal::Interrupt]);
    assert_eq!(echo, b"abc^C");
    typed(&mut discipline, b"\n");
    assert_eq!(read_line(&mut discipline).as_deref(), Some(&b"\n"[..]));
    let (_, signals) = typed(&mut discipline, b"\x1c\x1a");
    assert_eq!(signals, [Signal::Quit, Signal::Suspend]);
    assert_eq!(
        [Signal::Interrupt, Signal::Quit, Signal::Suspend].map(Signal::number),
        [2, 3, 20]
    );
    with_local_flags(&mut discipline, NOFLSH, 0);
    typed(&mut discipline, b"keep\x03\n");
    assert_eq!(read_line(&mut discipline).as_deref(), Some(&b"keep\n"[..]));
    with_local_flags(&mut discipline, 0, ISIG);
    let (_, signals) = typed(&mut discipline, b"\x03\n");
    assert!(signals.is_empty());
    assert_eq!(read_line(&mut discipline).as_deref(), Some(&b"\x03\n"[..]));
}

#[test]
fn without_echo_nothing_is_echoed_but_echonl_echoes_newlines() {
    let mut discipline = LineDiscipline::new();
    with_local_flags(&mut discipline, 0, ECHO);
    let (echo, _) = typed(&mut discipline, b"secret\x7f\n");
    assert!(echo.is_empty());
    assert_eq!(read_line(&mut discipline).as_deref(), Some(&b"secre\n"[..]));
    with_local_flags(&mut discipline, ECHONL, 0);
    let (echo, _) = typed(&mut discipline, b"pw\n");
    assert_eq!(echo, b"\n");
}

#[test]
fn carriage_return_becomes_newline_only_with_icrnl() {
    let mut discipline = LineDiscipline::new();
    let mut settings = discipline.settings();
    settings.c_iflag &= !ICRNL;
    discipline.set_settings(settings, false);
    typed(&mut discipline, b"a\rb\n");
    assert_eq!(read_line(&mut discipline).as_deref(), Some(&b"a\rb\n"[..]));
}

#[test]
fn non_canonical_mode_hands_bytes_over_at_once_with_vmin_and_vtime() {
    let mut discipline = LineDiscipline::new();
    let mut settings = discipline.settings();
    settings.c_lflag &= !(ICANON | ECHO);
    settings.c_cc[VMIN] = 3;
    settings.c_cc[VTIME] = 0;
    discipline.set_settings(settings, false);
    let (echo, _) = typed(&mut discipline, b"\x7fq");
    assert!(echo.is_empty());
    assert_eq!(discipline.available(), 2);
    assert!(!discipline.read_satisfied(16, 1000));
    assert!(
        discipline.read_satisfied(2, 0),
        "VMIN is capped by the request"
    );
    typed(&mut discipline, b"\x04");
    assert!(discipline.read_satisfied(16, 0));
    let mut buffer = [0u8; 16];
    assert_eq!(discipline.read(&mut buffer), ReadOutcome::Bytes(3));
    assert_eq!(&buffer[..3], b"\x7fq\x04");
    settings.c_cc[VMIN] = 0;
    settings.c_cc[VTIME] = 5;
    discipline.set_settings(settings, false);
    assert!(!discipline.read_satisfied(16, 4));
    assert!(
        discipline.read_satisfied(16, 5),
        "VTIME expired with nothing: read 0"
    );
    assert_eq!(discipline.read_timeout_tenths(), 5);
    settings.c_cc[VMIN] = 2;
    discipline.set_settings(settings, false);
    typed(&mut discipline, b"z");
    assert!(!discipline.read_satisfied(16, 4));
    assert!(discipline.read_satisfied(16, 5), "inter-byte timer expired");
    settings.c_cc[VMIN] = 0;
    settings.c_cc[VTIME] = 0;
    discipline.set_settings(settings, false);
    assert!(discipline.read_satisfied(16, 0), "polling read");
}

#[test]
fn switching_modes_keeps_unread_input() {
    let mut discipline = LineDiscipline::new();
    typed(&mut discipline, b"done\npart");
    let mut settings = discipline.settings();
    settings.c_lflag &= !ICANON;
    discipline.set_settings(settings, false);
    assert_eq!(discipline.available(), 9);
    settings.c_lflag |= ICANON;
    discipline.set_settings(settings, false);
    assert!(!discipline.has_input());
    typed(&mut discipline, b"\x7f!\n");
    assert_eq!(
        read_line(&mut discipline).as_deref(),
        Some(&b"done\npar!\n"[..])
    );
    typed(&mut discipline, b"gone\npart");
    discipline.set_settings(settings, true);
    assert_eq!(discipline.available(), 0);
    typed(&mut discipline, b"\n");
    assert_eq!(read_line(&mut discipline).as_deref(), Some(&b"\n"[..]));
}

#[test]
fn only_the_input_a_read_needs_is_wanted() {
    let mut discipline = LineDiscipline::new();
    assert_eq!(discipline.input_wanted(100), 1);
    typed(&mut discipline, b"ab");
    assert_eq!(
        discipline.input_wanted(100),
        1,
        "a line in the making wants more"
    );
    typed(&mut discipline, b"\n");
    assert_eq!(discipline.input_wanted(100), 0);
    let mut settings = discipline.settings();
    settings.c_lflag &= !ICANON;
    discipline.set_settings(settings, false);
    assert_eq!(discipline.input_wanted(100), 97);
    assert_eq!(discipline.input_wanted(2), 0);
}

#[test]
fn poll_readiness_follows_the_mode() {
    let mut discipline = LineDiscipline::new();
    typed(&mut discipline, b"ab");
    assert!(!discipline.poll_readable(), "half a line is not readable");
    typed(&mut discipline, b"\x04");
    assert!(discipline.poll_readable(), "^D ended the line");
    let mut settings = discipline.settings();
    settings.c_lflag &= !ICANON;
    settings.c_cc[VMIN] = 4;
    discipline.set_settings(settings, true);
    assert_eq!(discipline.poll_request(), 4);
    typed(&mut discipline, b"xyz");
    assert!(!discipline.poll_readable());
    typed(&mut discipline, b"w");
    assert!(discipline.poll_readable());
}

#[test]
fn output_processing_follows_opost_and_onlcr() {
    let mut discipline = LineDiscipline::new();
    let mut output = Vec::new();
    discipline.process_output(b"a\nb", &mut output);
    assert_eq!(output, b"a\r\nb");
    let mut settings = discipline.settings();
    settings.c_oflag &= !ONLCR;
    discipline.set_settings(settings, false);
    output.clear();
    discipline.process_output(b"a\n", &mut output);
    assert_eq!(output, b"a\n");
    settings.c_oflag = ONLCR;
    discipline.set_settings(settings, false);
    output.clear();
    discipline.process_output(b"a\n", &mut output);
    assert_eq!(output, b"a\n", "ONLCR does nothing without OPOST");
    assert_eq!(settings.c_oflag & OPOST, 0);
}

#[test]
fn window_size_round_trips() {
    let mut discipline = LineDiscipline::new();
    assert_eq!(
        (discipline.window().ws_row, discipline.window().ws_col),
        (24, 80)
    );
    let mut window = discipline.window();
    window.ws_row = 50;
    window.ws_col = 132;
    discipline.set_window(window);
    assert_eq!(discipline.window(), window);
}

#[test]
fn an_overlong_line_is_cut_but_still_ends() {
    let mut discipline = LineDiscipline::new();
    with_local_flags(&mut discipline, 0, ECHO | ECHOE);
    let long = vec![b'x'; MAXIMUM_LINE * 2];
    typed(&mut discipline, &long);
    typed(&mut discipline, b"\n");
    let line = read_line(&mut discipline).expect("a line");
    assert_eq!(line.len(), MAXIMUM_LINE);
    assert_eq!(line.last(), Some(&b'\n'));
}

/// The canonical line a model editor produces: printable bytes append, DEL and ^H drop one,
/// ^U drops all, ^W drops a word with the blanks after it.
fn model_line(keys: &[u8]) -> Vec<u8> {
    let mut line = Vec::new();
    for &key in keys {
        match key {
            0x7f | 0x08 => {
                line.pop();
            }
            0x15 => line.clear(),
            0x17 => {
                while line.last().is_some_and(u8::is_ascii_whitespace) {
                    line.pop();
                }
                while line
                    .last()
                    .is_some_and(|byte: &u8| !byte.is_ascii_whitespace())
                {
                    line.pop();
                }
            }
            _ => line.push(key),
        }
    }
    line
}

fn editing_key() -> impl Strategy<Value = u8> {
    prop_oneof![
        8 => prop::sample::select(b"abc xyz\t".to_vec()),
        1 => Just(0x7f),
        1 => Just(0x08),
        1 => Just(0x15),
        1 => Just(0x17),
    ]
}

proptest! {
    #[test]
    fn canonical_editing_matches_the_model(keys in prop::collection::vec(editing_key(), 0..60)) {
        let mut discipline = LineDiscipline::new();
        let (echo, signals) = typed(&mut discipline, &keys);
        prop_assert!(signals.is_empty());
        prop_assert!(!discipline.has_input());
        typed(&mut discipline, b"\n");
        let mut expected = model_line(&keys);
        expected.push(b'\n');
        prop_assert_eq!(read_line(&mut discipline), Some(expected));
        prop_assert!(!discipline.has_input());
        // On a screen that draws the echo, what is left before the cursor is the line.
        let mut screen = Vec::new();
        let mut cursor = 0usize;
        for &byte in &echo {
            if byte == 0x08 {
                cursor = cursor.saturating_sub(1);
            } else {
                screen.truncate(cursor);
                screen.push(byte);
                cursor += 1;
            }
        }
        prop_assert_eq!(&screen[..cursor], &model_line(&keys)[..]);
    }

    #[test]
    fn any_input_leaves_the_discipline_consistent(
        bytes in prop::collection::vec(any::<u8>(), 0..300),
        canonical in any::<bool>(),
    ) {
        let mut discipline = LineDiscipline::new();
        let mut settings = discipline.settings();
        if !canonical {
            settings.c_lflag &= !ICANON;
        }
        settings.c_lflag |= ECHOE | ECHOCTL;
        discipline.set_settings(settings, false);
        let mut echo = Vec::new();
        let signals = discipline.receive(&bytes, &mut echo);
        let signal_bytes = bytes.iter().filter(|&&byte| matches!(byte, 0x03 | 0x1c | 0x1a)).count();
        prop_assert_eq!(signals.len(), signal_bytes);
        let available = discipline.available();
        let mut taken = 0;
        let mut buffer = [0u8; 7];
        for _ in 0..1000 {
            match discipline.read(&mut buffer) {
                ReadOutcome::Bytes(count) => taken += count,
                ReadOutcome::EndOfFile => {}
                ReadOutcome::Empty => break,
            }
        }
        prop_assert_eq!(taken, available);
        prop_assert_eq!(discipline.available(), 0);
    }
}
