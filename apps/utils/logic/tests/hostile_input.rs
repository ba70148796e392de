//! Hostile input never panics: every parser and formatter of `utility-logic` answers arbitrary
//! bytes with a result or an error (a utility prints the error and exits non-zero).

use proptest::prelude::*;
use utility_logic::test_expression::{FileFacts, FileQuery, evaluate};

struct NoFiles;

impl FileQuery for NoFiles {
    fn facts(&self, _path: &str, _follow: bool) -> Option<FileFacts> {
        None
    }

    fn may(&self, _path: &str, _access: u32) -> bool {
        false
    }

    fn is_terminal(&self, _fd: i32) -> bool {
        false
    }
}

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        "[-a-z0-9=!()%.\\\\\\[\\]:*+?{}|^$]{0,8}",
        Just(String::from("(")),
        Just(String::from(")")),
        Just(String::from("!")),
        Just(String::from("-a")),
        Just(String::from("-o")),
        Just(String::from("-eq")),
    ]
}

proptest! {
    #[test]
    fn printf_formats_anything(format in proptest::collection::vec(any::<u8>(), 0..40), arguments in proptest::collection::vec(word(), 0..4)) {
        let _ = utility_logic::printf::format(&format, &arguments);
    }

    #[test]
    fn test_expressions_evaluate_or_fail(words in proptest::collection::vec(word(), 0..9)) {
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let _ = evaluate(&words, &NoFiles);
    }

    #[test]
    fn tr_sets_parse_or_fail(first in proptest::collection::vec(any::<u8>(), 0..16), second in proptest::collection::vec(any::<u8>(), 0..16), complement: bool, delete: bool, squeeze: bool) {
        let options = utility_logic::tr::TrOptions { complement, delete, squeeze };
        if let Ok(mut translator) = utility_logic::tr::Translator::new(options, &first, Some(&second)) {
            let mut output = Vec::new();
            translator.apply(b"hello, world 123", &mut output);
        }
    }

    #[test]
    fn patterns_translate_and_compile_or_fail(pattern in proptest::collection::vec(any::<u8>(), 0..16), extended: bool, fold_case: bool) {
        let dialect = if extended { utility_logic::pattern::Dialect::Extended } else { utility_logic::pattern::Dialect::Basic };
        if let Ok(matcher) = utility_logic::pattern::Matcher::new(&[pattern], dialect, fold_case) {
            let _ = matcher.is_match(b"some line of text");
        }
    }

    #[test]
    fn lists_modes_options_and_numbers_parse_or_fail(text in "\\PC{0,12}") {
        let _ = utility_logic::cut::parse_list(&text);
        if let Ok(change) = utility_logic::mode::parse_mode(&text) {
            let _ = change.apply(0o644, false, 0o022);
        }
        let _ = utility_logic::options::parse(&[text.clone(), text.clone()], "abc", "n");
        if let Ok(sequence) = utility_logic::seq::Sequence::new(&[&text, "3"], true) {
            let _ = sequence.take(5).count();
        }
        let _ = utility_logic::signals::number(&text);
        let _ = utility_logic::names::basename(&text, Some(&text));
        let _ = utility_logic::names::dirname(&text);
        let _ = utility_logic::calendar::format_date(&text, 1_700_000_000);
    }

    #[test]
    fn dates_format_across_the_range(seconds in -100_000_000_000i64..100_000_000_000) {
        let time = utility_logic::calendar::civil_time(seconds);
        prop_assert!((1..=12).contains(&time.month) && (1..=31).contains(&time.day) && (1..=366).contains(&time.day_of_year));
        let _ = utility_logic::calendar::format_date("%c %j %s", seconds);
    }
}
