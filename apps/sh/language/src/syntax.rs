//! The syntax tree of a shell program (POSIX XCU 2.9, "Shell Commands").

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

/// A sequence of and-or lists, each run in the foreground or in the background (`&`).
pub type List = Vec<ListItem>;

/// One and-or list and how it ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListItem {
    /// The commands.
    pub and_or: AndOr,
    /// Ended by `&`: run asynchronously.
    pub background: bool,
}

/// Pipelines joined by `&&` and `||`, evaluated left to right.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AndOr {
    /// The first pipeline, always run.
    pub first: Pipeline,
    /// The rest, each run or skipped depending on the status so far.
    pub rest: Vec<(Connector, Pipeline)>,
}

/// `&&` or `||`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connector {
    /// `&&`: run when the status so far is 0.
    And,
    /// `||`: run when the status so far is not 0.
    Or,
}

/// Commands joined by `|`, optionally preceded by `!`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pipeline {
    /// `!`: the status is inverted.
    pub negated: bool,
    /// At least one command; each one's output is the next one's input.
    pub commands: Vec<Command>,
}

/// One command of a pipeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Assignments, words and redirections.
    Simple(SimpleCommand),
    /// A compound command with the redirections that apply to all of it.
    Compound(CompoundCommand, Vec<Redirection>),
    /// `name() compound-command`: defines a function.
    FunctionDefinition(String, Rc<Command>),
}

/// `NAME=value … word … redirection …`, in any order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SimpleCommand {
    /// Variable assignments before the command name.
    pub assignments: Vec<Assignment>,
    /// The command name and its arguments, before expansion.
    pub words: Vec<Word>,
    /// Redirections, in order.
    pub redirections: Vec<Redirection>,
}

/// `NAME=value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    /// The variable.
    pub name: String,
    /// Its value, expanded without field splitting or pathname expansion.
    pub value: Word,
}

/// The compound commands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompoundCommand {
    /// `{ list; }`: run in this shell.
    Group(List),
    /// `( list )`: run in a subshell.
    Subshell(List),
    /// `if … then … elif … then … else … fi`.
    If {
        /// Each condition with the list run when it succeeds.
        branches: Vec<(List, List)>,
        /// The `else` part.
        otherwise: Option<List>,
    },
    /// `while condition; do body; done`, or `until` when `until` is set.
    Loop {
        /// The condition.
        condition: List,
        /// The body.
        body: List,
        /// `until`: loop while the condition fails.
        until: bool,
    },
    /// `for name in words; do body; done` (without `in`: over `"$@"`).
    For {
        /// The variable set to each item.
        variable: String,
        /// The words, or `None` for the positional parameters.
        items: Option<Vec<Word>>,
        /// The body.
        body: List,
    },
    /// `case word in pattern|pattern) list;; … esac`.
    Case {
        /// The word matched.
        subject: Word,
        /// Each arm's patterns and list.
        arms: Vec<(Vec<Word>, List)>,
    },
}

/// A redirection: `[n]<word`, `[n]>word`, `[n]>>word`, `[n]>&word`, `[n]<<delimiter`, ….
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirection {
    /// The descriptor redirected, when written before the operator.
    pub fd: Option<i32>,
    /// What is done.
    pub kind: RedirectionKind,
}

impl Redirection {
    /// The descriptor this redirection changes: the one written, else 0 for input and 1 for
    /// output.
    #[must_use]
    pub fn target_fd(&self) -> i32 {
        self.fd.unwrap_or(match self.kind {
            RedirectionKind::Input(_)
            | RedirectionKind::ReadWrite(_)
            | RedirectionKind::DuplicateInput(_)
            | RedirectionKind::HereDocument(_) => 0,
            RedirectionKind::Output(_)
            | RedirectionKind::Clobber(_)
            | RedirectionKind::Append(_)
            | RedirectionKind::DuplicateOutput(_) => 1,
        })
    }
}

/// The kinds of redirection, each with its word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RedirectionKind {
    /// `<file`.
    Input(Word),
    /// `>file`.
    Output(Word),
    /// `>|file`.
    Clobber(Word),
    /// `>>file`.
    Append(Word),
    /// `<>file`.
    ReadWrite(Word),
    /// `<&n` or `<&-`.
    DuplicateInput(Word),
    /// `>&n` or `>&-`.
    DuplicateOutput(Word),
    /// `<<delimiter` or `<<-delimiter`: the body is read from the lines after the command.
    HereDocument(Rc<RefCell<HereDocument>>),
}

/// A here-document's body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HereDocument {
    /// The delimiter was quoted: the body is taken literally.
    pub literal: bool,
    /// The body, one part per piece (only literal text when `literal`).
    pub body: Word,
}

/// A word before expansion: its pieces in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Word {
    /// The pieces.
    pub parts: Vec<WordPart>,
}

impl Word {
    /// A word of one unquoted literal.
    #[must_use]
    pub fn literal(text: &str) -> Self {
        Self {
            parts: alloc::vec![WordPart::Literal(String::from(text))],
        }
    }

    /// The word's text when it is only unquoted literal text (reserved words, names, numbers).
    #[must_use]
    pub fn as_plain_literal(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [WordPart::Literal(text)] => Some(text),
            _ => None,
        }
    }

    /// Whether any part of the word was quoted (here-document delimiters).
    #[must_use]
    pub fn has_quotes(&self) -> bool {
        self.parts.iter().any(|part| {
            matches!(
                part,
                WordPart::SingleQuoted(_) | WordPart::DoubleQuoted(_) | WordPart::Escaped(_)
            )
        })
    }
}

/// A piece of a word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WordPart {
    /// Unquoted text.
    Literal(String),
    /// A character quoted by a backslash.
    Escaped(char),
    /// `'…'`.
    SingleQuoted(String),
    /// `"…"`: literal text, escapes, parameters and command substitutions.
    DoubleQuoted(Vec<WordPart>),
    /// `$name`, `${name}`, `${name:-word}`, ….
    Parameter(ParameterExpansion),
    /// `$(…)` or `` `…` ``.
    CommandSubstitution(Rc<List>),
    /// `~` or `~user` at the start of a word.
    Tilde(String),
    /// `$((expression))`: the expression's text, itself expanded (parameters, command
    /// substitutions) before it is evaluated.
    Arithmetic(Vec<WordPart>),
}

/// A parameter expansion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParameterExpansion {
    /// The parameter: a name, a digit string or one of `@ * # ? - $ ! 0`.
    pub name: String,
    /// What is done with it.
    pub operation: ParameterOperation,
}

/// The forms of `${…}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParameterOperation {
    /// `$name`, `${name}`.
    Value,
    /// `${#name}`: the length of the value.
    Length,
    /// `${name-word}` / `${name:-word}`: the word when unset (or, with the colon, empty).
    Default { colon: bool, word: Word },
    /// `${name=word}` / `${name:=word}`: as `Default`, also assigning it.
    Assign { colon: bool, word: Word },
    /// `${name?word}` / `${name:?word}`: an error with the word as message.
    Error { colon: bool, word: Word },
    /// `${name+word}` / `${name:+word}`: the word when set (and, with the colon, not empty).
    Alternative { colon: bool, word: Word },
    /// `${name%pattern}` / `${name%%pattern}`: the shortest (longest) matching suffix removed.
    RemoveSuffix { longest: bool, pattern: Word },
    /// `${name#pattern}` / `${name##pattern}`: the shortest (longest) matching prefix removed.
    RemovePrefix { longest: bool, pattern: Word },
}
