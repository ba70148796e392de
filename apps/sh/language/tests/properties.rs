//! Property tests: quoting any text and reading it back gives the text, as one field; a quoted
//! pattern matches only its own text; the parser never panics on arbitrary input.

use proptest::prelude::*;
use shell_language::expansion::{Context, ExpansionError, expand_words};
use shell_language::parser::{CompleteCommands, parse};
use shell_language::pattern::{literal, matches, unquoted};
use shell_language::quote::quote;
use shell_language::syntax::{Command, List};

struct Empty;

impl Context for Empty {
    fn parameter(&self, _: &str) -> Option<String> {
        None
    }
    fn positional_parameters(&self) -> Vec<String> {
        Vec::new()
    }
    fn assign(&mut self, name: &str, _: &str) -> Result<(), ExpansionError> {
        Err(ExpansionError::ReadOnly(name.into()))
    }
    fn command_substitution(&mut self, _: &List) -> Result<String, ExpansionError> {
        Err(ExpansionError::CommandSubstitution("none here".into()))
    }
    fn list_directory(&mut self, _: &str) -> Option<Vec<String>> {
        Some(vec!["a".into(), "b".into()])
    }
}

proptest! {
    #[test]
    fn quoted_text_reads_back_unchanged(text in "[ -~\t\n]{0,40}") {
        let source = format!("echo {}", quote(&text));
        let list = parse(&source).unwrap();
        let Command::Simple(command) = &list[0].and_or.first.commands[0] else {
            panic!("not simple");
        };
        let fields = expand_words(&mut Empty, &command.words).unwrap();
        prop_assert_eq!(fields, vec!["echo".to_string(), text]);
    }

    #[test]
    fn a_quoted_pattern_matches_only_itself(text in "[a-c*?\\[\\]!]{0,8}", other in "[a-c*?\\[\\]!]{0,8}") {
        prop_assert!(matches(&literal(&text), &text));
        prop_assert_eq!(matches(&literal(&text), &other), text == other);
    }

    #[test]
    fn star_matches_everything_and_text_matches_itself_unquoted(text in "[a-z.]{0,12}") {
        prop_assert!(matches(&unquoted("*"), &text));
        prop_assert!(matches(&unquoted(&text), &text));
        let with_star = format!("{}*", text.get(..text.len() / 2).unwrap_or(""));
        prop_assert!(matches(&unquoted(&with_star), &text));
    }

    #[test]
    fn the_parser_never_panics(source in "[ -~\n]{0,60}") {
        let _ = parse(&source);
    }

    #[test]
    fn complete_commands_one_at_a_time_agree_with_the_whole_parse(
        source in "(echo [a-c]{1,3}|if a; then b; fi|x=1|c &|d ;|while e; do f; done|\\(g\\)|\n){0,8}"
    ) {
        let whole = parse(&source);
        let pieces: Result<Vec<List>, _> = CompleteCommands::new(&source).collect();
        match (whole, pieces) {
            (Ok(whole), Ok(pieces)) => {
                let flattened: List = pieces.into_iter().flatten().collect();
                prop_assert_eq!(whole, flattened);
            }
            (Err(_), Err(_)) => {}
            (whole, pieces) => prop_assert!(false, "{:?} vs {:?}", whole, pieces),
        }
    }

    #[test]
    fn the_parser_never_panics_on_shell_punctuation(source in "[a$(){}'\"`\\\\|&;<> \n#=~*-]{0,40}") {
        let _ = parse(&source);
    }
}
