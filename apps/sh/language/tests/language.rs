//! The parser and word expansion together, through a fake shell context: what a command line
//! means, checked on the host.

use std::collections::BTreeMap;

use shell_language::expansion::{Context, ExpansionError, expand_to_string, expand_words};
use shell_language::parser::{CompleteCommands, ParseError, parse};
use shell_language::syntax::{
    Command, CompoundCommand, Connector, List, RedirectionKind, SimpleCommand,
};

/// Variables in a map; a command substitution answers the text of its first simple command's
/// words after `echo`, so that nesting can be observed.
#[derive(Default)]
struct FakeShell {
    variables: BTreeMap<String, String>,
    positional: Vec<String>,
}

impl Context for FakeShell {
    fn parameter(&self, name: &str) -> Option<String> {
        if name == "#" {
            return Some(self.positional.len().to_string());
        }
        if let Ok(index) = name.parse::<usize>() {
            return index
                .checked_sub(1)
                .and_then(|index| self.positional.get(index).cloned());
        }
        self.variables.get(name).cloned()
    }
    fn positional_parameters(&self) -> Vec<String> {
        self.positional.clone()
    }
    fn assign(&mut self, name: &str, value: &str) -> Result<(), ExpansionError> {
        self.variables.insert(name.into(), value.into());
        Ok(())
    }
    fn command_substitution(&mut self, list: &List) -> Result<String, ExpansionError> {
        let command = simple(list, 0);
        let words = expand_words(self, &command.words).unwrap();
        Ok(format!("{}\n\n", words[1..].join(" ")))
    }
    fn list_directory(&mut self, path: &str) -> Option<Vec<String>> {
        match path {
            "/bin" => Some(vec!["sh".into(), "sleep".into(), "cat".into()]),
            _ => None,
        }
    }
}

fn simple(list: &List, index: usize) -> &SimpleCommand {
    match &list[index].and_or.first.commands[0] {
        Command::Simple(command) => command,
        other => panic!("not a simple command: {other:?}"),
    }
}

fn fields(shell: &mut FakeShell, source: &str) -> Vec<String> {
    let list = parse(source).unwrap();
    expand_words(shell, &simple(&list, 0).words).unwrap()
}

fn shell() -> FakeShell {
    let mut shell = FakeShell::default();
    shell.variables.insert("x".into(), "a  b".into());
    shell.variables.insert("empty".into(), String::new());
    shell.variables.insert("HOME".into(), "/home/me".into());
    shell.positional = vec!["one".into(), "two words".into()];
    shell
}

#[test]
fn quotes_and_escapes_are_removed() {
    let mut shell = shell();
    assert_eq!(
        fields(&mut shell, r#"echo 'a  b' "c  d" e\ f "\$x" '$x'"#),
        ["echo", "a  b", "c  d", "e f", "$x", "$x"]
    );
}

#[test]
fn unquoted_expansions_split_quoted_ones_do_not() {
    let mut shell = shell();
    assert_eq!(fields(&mut shell, "echo $x"), ["echo", "a", "b"]);
    assert_eq!(fields(&mut shell, "echo \"$x\""), ["echo", "a  b"]);
    assert_eq!(fields(&mut shell, "echo $empty"), ["echo"]);
    assert_eq!(fields(&mut shell, "echo \"$empty\""), ["echo", ""]);
    assert_eq!(fields(&mut shell, "echo ${x}z"), ["echo", "a", "bz"]);
}

#[test]
fn positional_and_special_parameters() {
    let mut shell = shell();
    assert_eq!(fields(&mut shell, "echo $# $1"), ["echo", "2", "one"]);
    assert_eq!(
        fields(&mut shell, "echo \"$@\""),
        ["echo", "one", "two words"]
    );
    assert_eq!(
        fields(&mut shell, "echo $@"),
        ["echo", "one", "two", "words"]
    );
    assert_eq!(fields(&mut shell, "echo \"$*\""), ["echo", "one two words"]);
    assert_eq!(
        fields(&mut shell, "echo x\"$@\"y"),
        ["echo", "xone", "two wordsy"]
    );
    shell.positional.clear();
    assert_eq!(fields(&mut shell, "echo \"$@\""), ["echo"]);
}

#[test]
fn parameter_operations() {
    let mut shell = shell();
    assert_eq!(
        fields(
            &mut shell,
            "echo ${unset:-d} ${empty:-e} ${empty-f} ${x:+alt} ${#x}"
        ),
        ["echo", "d", "e", "alt", "4"]
    );
    assert_eq!(
        fields(&mut shell, "echo ${new:=made} $new"),
        ["echo", "made", "made"]
    );
    let path = "/usr/local/bin.tar.gz";
    shell.variables.insert("p".into(), path.into());
    assert_eq!(
        fields(&mut shell, "echo ${p##*/} ${p%.*} ${p%%.*} ${p#/*/}"),
        [
            "echo",
            "bin.tar.gz",
            "/usr/local/bin.tar",
            "/usr/local/bin",
            "local/bin.tar.gz"
        ]
    );
    let list = parse("echo ${unset:?no value}").unwrap();
    assert_eq!(
        expand_words(&mut shell, &simple(&list, 0).words),
        Err(ExpansionError::ParameterUnset {
            name: "unset".into(),
            message: "no value".into()
        })
    );
}

#[test]
fn command_substitution_nests_and_loses_trailing_newlines() {
    let mut shell = shell();
    assert_eq!(fields(&mut shell, "echo $(echo a b)"), ["echo", "a", "b"]);
    assert_eq!(fields(&mut shell, "echo \"$(echo a  b)\""), ["echo", "a b"]);
    assert_eq!(fields(&mut shell, "echo `echo c`"), ["echo", "c"]);
    assert_eq!(
        fields(&mut shell, "echo $(echo $(echo inner) ')')"),
        ["echo", "inner", ")"]
    );
}

#[test]
fn tilde_and_pathnames() {
    let mut shell = shell();
    assert_eq!(
        fields(&mut shell, "ls ~/x /bin/s* '/bin/s*' /nope/*"),
        [
            "ls",
            "/home/me/x",
            "/bin/sh",
            "/bin/sleep",
            "/bin/s*",
            "/nope/*"
        ]
    );
}

#[test]
fn assignments_before_the_command() {
    let list = parse("A=1 B=\"$x y\" env C=3").unwrap();
    let command = simple(&list, 0);
    assert_eq!(command.assignments.len(), 2);
    assert_eq!(command.words.len(), 2);
    let mut shell = shell();
    assert_eq!(
        expand_to_string(&mut shell, &command.assignments[1].value).unwrap(),
        "a  b y"
    );
}

#[test]
fn lists_and_or_pipelines_and_background() {
    let list = parse("a && b || ! c | d & e; f\ng").unwrap();
    assert_eq!(list.len(), 4);
    assert!(list[0].background);
    let and_or = &list[0].and_or;
    assert_eq!(and_or.rest.len(), 2);
    assert_eq!(and_or.rest[0].0, Connector::And);
    assert_eq!(and_or.rest[1].0, Connector::Or);
    assert!(and_or.rest[1].1.negated);
    assert_eq!(and_or.rest[1].1.commands.len(), 2);
}

#[test]
fn compound_commands() {
    let list = parse(
        "if a; then b; elif c; then d; else e; fi; while x; do y; done; until z; do w; done\n\
         for i in 1 2 3; do echo $i; done; { a; b; } > f; (c) ; case $x in a|b) y;; *) z;; esac\n\
         f() { echo in f; }",
    )
    .unwrap();
    assert_eq!(list.len(), 8);
    let kinds: Vec<&str> = list
        .iter()
        .map(|item| match &item.and_or.first.commands[0] {
            Command::Compound(
                CompoundCommand::If {
                    branches,
                    otherwise,
                },
                _,
            ) => {
                assert_eq!(branches.len(), 2);
                assert!(otherwise.is_some());
                "if"
            }
            Command::Compound(CompoundCommand::Loop { until: false, .. }, _) => "while",
            Command::Compound(CompoundCommand::Loop { until: true, .. }, _) => "until",
            Command::Compound(CompoundCommand::For { items, .. }, _) => {
                assert_eq!(items.as_ref().map(Vec::len), Some(3));
                "for"
            }
            Command::Compound(CompoundCommand::Group(_), redirections) => {
                assert_eq!(redirections.len(), 1);
                "group"
            }
            Command::Compound(CompoundCommand::Subshell(_), _) => "subshell",
            Command::Compound(CompoundCommand::Case { arms, .. }, _) => {
                assert_eq!(arms.len(), 2);
                assert_eq!(arms[0].0.len(), 2);
                "case"
            }
            Command::FunctionDefinition(name, _) => {
                assert_eq!(name, "f");
                "function"
            }
            Command::Simple(_) => "simple",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "if", "while", "until", "for", "group", "subshell", "case", "function"
        ]
    );
}

#[test]
fn reserved_words_only_where_a_command_starts() {
    let list = parse("echo if then fi done").unwrap();
    assert_eq!(simple(&list, 0).words.len(), 5);
    assert!(parse("then").is_err());
}

#[test]
fn redirections_and_descriptor_numbers() {
    let list = parse("cmd <in >out 2>>log 2>&1 3<>rw >|c x2>y").unwrap();
    let command = simple(&list, 0);
    let targets: Vec<i32> = command.redirections.iter().map(|r| r.target_fd()).collect();
    assert_eq!(targets, [0, 1, 2, 2, 3, 1, 1]);
    assert!(matches!(
        command.redirections[3].kind,
        RedirectionKind::DuplicateOutput(_)
    ));
    // `x2` is a word, not a descriptor number.
    assert_eq!(command.words.len(), 2);
}

#[test]
fn here_documents_with_and_without_expansion() {
    let list = parse("cat <<EOF; cat <<'END'\nvalue $x\nEOF\nliteral $x\nEND\necho after").unwrap();
    assert_eq!(list.len(), 3);
    let mut shell = shell();
    let body = |index: usize, shell: &mut FakeShell| {
        let RedirectionKind::HereDocument(document) = &simple(&list, index).redirections[0].kind
        else {
            panic!("not a here-document");
        };
        let document = document.borrow();
        (
            document.literal,
            expand_to_string(shell, &document.body).unwrap(),
        )
    };
    assert_eq!(body(0, &mut shell), (false, "value a  b\n".into()));
    assert_eq!(body(1, &mut shell), (true, "literal $x\n".into()));
    let stripped = parse("cat <<-X\n\tindented\n\tX\n").unwrap();
    let RedirectionKind::HereDocument(document) = &simple(&stripped, 0).redirections[0].kind else {
        panic!("not a here-document");
    };
    assert_eq!(
        expand_to_string(&mut shell, &document.borrow().body).unwrap(),
        "indented\n"
    );
}

#[test]
fn comments_and_line_continuations() {
    let list = parse("echo a # not b\necho c\\\nd").unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(simple(&list, 0).words.len(), 2);
    let mut shell = shell();
    assert_eq!(
        expand_words(&mut shell, &simple(&list, 1).words).unwrap(),
        ["echo", "cd"]
    );
}

#[test]
fn incomplete_input_is_told_apart_from_errors() {
    for source in [
        "echo 'a",
        "echo \"a",
        "if a; then b",
        "a &&",
        "for i in 1; do",
        "(a",
        "echo $(a",
    ] {
        assert!(
            matches!(parse(source), Err(ParseError::Incomplete(_))),
            "{source}: {:?}",
            parse(source)
        );
    }
    for source in ["a ;; b", "fi", ") a", "a | | b", "echo >", "if; then a; fi"] {
        assert!(
            matches!(parse(source), Err(ParseError::Unexpected(_))),
            "{source}: {:?}",
            parse(source)
        );
    }
}

#[test]
fn arithmetic_expansion_with_variables_and_substitutions() {
    let mut shell = shell();
    shell.variables.insert("i".into(), "4".into());
    assert_eq!(
        fields(
            &mut shell,
            "echo $((i + 1)) $(( (2+3)*$i )) \"$((i*=2))\" $i $(( $(echo 7) % 4 ))"
        ),
        ["echo", "5", "20", "8", "8", "3"]
    );
    let list = parse("echo $((1/0))").unwrap();
    assert!(matches!(
        expand_words(&mut shell, &simple(&list, 0).words),
        Err(ExpansionError::Arithmetic(_))
    ));
}

#[test]
fn deep_nesting_is_refused_not_overflowing() {
    for source in [
        "(".repeat(10_000),
        "$(".repeat(10_000),
        "$((".repeat(10_000),
        "`".repeat(3) + &"\\`".repeat(10_000),
        "if ".repeat(10_000),
    ] {
        assert!(parse(&source).is_err() || source.starts_with('`'));
    }
    // An arithmetic expression's nesting is bounded when it is evaluated.
    let deep = format!("echo $(({}1{}))", "(".repeat(10_000), ")".repeat(10_000));
    let list = parse(&deep).unwrap();
    assert!(matches!(
        expand_words(&mut shell(), &simple(&list, 0).words),
        Err(ExpansionError::Arithmetic(_))
    ));
    assert!(parse(&format!("{}true{}", "(".repeat(10), ")".repeat(10))).is_ok());
}

#[test]
fn complete_commands_come_one_line_at_a_time() {
    let source = "a; b &\n\nif x\nthen y\nfi; c\ncat <<E\nbody\nE\nd )\ne";
    let mut commands = CompleteCommands::new(source);
    assert_eq!(commands.next().unwrap().unwrap().len(), 2);
    assert_eq!(commands.next().unwrap().unwrap().len(), 2);
    assert_eq!(commands.next().unwrap().unwrap().len(), 1);
    assert!(matches!(
        commands.next(),
        Some(Err(ParseError::Unexpected(_)))
    ));
    assert!(commands.next().is_none());
    assert_eq!(CompleteCommands::new("\n\n").count(), 0);
    assert_eq!(CompleteCommands::new("x\n").count(), 1);
}
