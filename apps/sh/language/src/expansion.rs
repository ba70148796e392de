//! Word expansion (POSIX XCU 2.6): tilde expansion, parameter expansion, command substitution,
//! field splitting, pathname expansion and quote removal, over a [`Context`] that holds the
//! variables and runs command substitutions (so that this stays free of system calls).

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::arithmetic;
use crate::pattern::{self, PatternCharacter};
use crate::syntax::{List, ParameterExpansion, ParameterOperation, Word, WordPart};

/// What expansion needs from the shell.
pub trait Context {
    /// A parameter's value: a variable, a positional parameter (`1`, `2`, …) or a special one
    /// (`?`, `$`, `!`, `#`, `-`, `0`); `None` when unset. `@` and `*` are asked through
    /// [`Context::positional_parameters`] instead.
    fn parameter(&self, name: &str) -> Option<String>;
    /// `$1`, `$2`, ….
    fn positional_parameters(&self) -> Vec<String>;
    /// Sets a variable (`${name:=word}`).
    ///
    /// # Errors
    /// [`ExpansionError::ReadOnly`] when it cannot be set.
    fn assign(&mut self, name: &str, value: &str) -> Result<(), ExpansionError>;
    /// Runs `list` in a subshell and answers its standard output.
    ///
    /// # Errors
    /// [`ExpansionError::CommandSubstitution`] when it cannot be run.
    fn command_substitution(&mut self, list: &List) -> Result<String, ExpansionError>;
    /// The names in a directory (`None` when it cannot be read), for pathname expansion.
    fn list_directory(&mut self, path: &str) -> Option<Vec<String>>;
    /// The home directory of `user` (`~user`); the empty name is `$HOME`.
    fn home_directory(&self, user: &str) -> Option<String> {
        if user.is_empty() {
            self.parameter("HOME")
        } else {
            None
        }
    }
}

/// Why a word could not be expanded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExpansionError {
    /// `${name?message}` with `name` unset (or empty, with the colon).
    ParameterUnset {
        /// The parameter.
        name: String,
        /// The message to print.
        message: String,
    },
    /// `${name=word}` for a parameter that cannot be assigned (a special or positional one).
    ReadOnly(String),
    /// A command substitution could not be run.
    CommandSubstitution(String),
    /// An arithmetic expression is malformed or divides by zero.
    Arithmetic(String),
}

impl core::fmt::Display for ExpansionError {
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::ParameterUnset { name, message } => write!(formatter, "{name}: {message}"),
            Self::ReadOnly(name) => write!(formatter, "{name}: cannot assign in this way"),
            Self::CommandSubstitution(reason) => {
                write!(formatter, "command substitution: {reason}")
            }
            Self::Arithmetic(reason) => write!(formatter, "arithmetic expansion: {reason}"),
        }
    }
}

/// Where a character of a field came from: decides splitting and pattern matching.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    /// Quoted: neither split nor special in patterns.
    Quoted,
    /// Unquoted text of the word itself: special in patterns, never split.
    Literal,
    /// The unquoted result of an expansion: split, and special in patterns.
    Expanded,
}

/// A field being built.
#[derive(Clone, Debug, Default)]
struct Field {
    characters: Vec<(char, Origin)>,
    /// A quoted part was seen: the field exists even when empty (`""`).
    quoted: bool,
}

/// The fields of one word before splitting; `"$@"` starts a new one per parameter.
#[derive(Default)]
struct Fields {
    done: Vec<Field>,
    current: Field,
}

impl Fields {
    fn push_text(&mut self, text: &str, origin: Origin) {
        self.current
            .characters
            .extend(text.chars().map(|character| (character, origin)));
    }

    fn break_field(&mut self) {
        self.done.push(core::mem::take(&mut self.current));
    }

    fn finish(mut self) -> Vec<Field> {
        self.done.push(self.current);
        self.done
    }
}

/// Expands words into fields, with field splitting and pathname expansion (a command's words,
/// the items of `for`).
///
/// # Errors
/// [`ExpansionError`].
pub fn expand_words(
    context: &mut dyn Context,
    words: &[Word],
) -> Result<Vec<String>, ExpansionError> {
    let mut result = Vec::new();
    let separators = context
        .parameter("IFS")
        .unwrap_or_else(|| String::from(" \t\n"));
    for word in words {
        if is_quoted_at(word) && context.positional_parameters().is_empty() {
            continue;
        }
        let mut fields = Fields::default();
        expand_parts(context, &word.parts, false, &mut fields)?;
        for field in fields.finish() {
            for split in split_field(field, &separators) {
                let pattern: Vec<PatternCharacter> = split
                    .iter()
                    .map(|&(character, origin)| (character, origin == Origin::Quoted))
                    .collect();
                let text: String = split.iter().map(|&(character, _)| character).collect();
                if pattern::has_special(&pattern) {
                    let matched = pattern::expand_pathname(&pattern, &mut |path| {
                        context.list_directory(path)
                    });
                    if !matched.is_empty() {
                        result.extend(matched);
                        continue;
                    }
                }
                result.push(text);
            }
        }
    }
    Ok(result)
}

/// Whether the word is exactly `"$@"` (which gives no field at all without parameters).
fn is_quoted_at(word: &Word) -> bool {
    match word.parts.as_slice() {
        [WordPart::DoubleQuoted(inner)] => matches!(
            inner.as_slice(),
            [WordPart::Parameter(ParameterExpansion { name, operation: ParameterOperation::Value })]
                if name == "@"
        ),
        _ => false,
    }
}

/// Expands a word into one string, without field splitting or pathname expansion (assignments,
/// redirection targets, here-documents, the word of `case`).
///
/// # Errors
/// [`ExpansionError`].
pub fn expand_to_string(context: &mut dyn Context, word: &Word) -> Result<String, ExpansionError> {
    let mut fields = Fields::default();
    expand_parts(context, &word.parts, false, &mut fields)?;
    let mut text = String::new();
    for (index, field) in fields.finish().into_iter().enumerate() {
        if index > 0 {
            text.push(' ');
        }
        text.extend(field.characters.iter().map(|&(character, _)| character));
    }
    Ok(text)
}

/// Expands a word into a pattern: quoted characters match only themselves (`case` patterns,
/// `${name%pattern}`).
///
/// # Errors
/// [`ExpansionError`].
pub fn expand_to_pattern(
    context: &mut dyn Context,
    word: &Word,
) -> Result<Vec<PatternCharacter>, ExpansionError> {
    let mut fields = Fields::default();
    expand_parts(context, &word.parts, false, &mut fields)?;
    let mut pattern = Vec::new();
    for (index, field) in fields.finish().into_iter().enumerate() {
        if index > 0 {
            pattern.push((' ', true));
        }
        pattern.extend(
            field
                .characters
                .iter()
                .map(|&(character, origin)| (character, origin == Origin::Quoted)),
        );
    }
    Ok(pattern)
}

fn expand_parts(
    context: &mut dyn Context,
    parts: &[WordPart],
    quoted: bool,
    fields: &mut Fields,
) -> Result<(), ExpansionError> {
    let expanded = if quoted {
        Origin::Quoted
    } else {
        Origin::Expanded
    };
    for part in parts {
        match part {
            WordPart::Literal(text) => fields.push_text(
                text,
                if quoted {
                    Origin::Quoted
                } else {
                    Origin::Literal
                },
            ),
            WordPart::Escaped(character) => {
                fields.current.quoted = true;
                fields.current.characters.push((*character, Origin::Quoted));
            }
            WordPart::SingleQuoted(text) => {
                fields.current.quoted = true;
                fields.push_text(text, Origin::Quoted);
            }
            WordPart::DoubleQuoted(inner) => {
                fields.current.quoted = true;
                expand_parts(context, inner, true, fields)?;
            }
            WordPart::Tilde(user) => match context.home_directory(user) {
                Some(home) => fields.push_text(&home, Origin::Quoted),
                None => {
                    fields.push_text("~", Origin::Literal);
                    fields.push_text(user, Origin::Literal);
                }
            },
            WordPart::CommandSubstitution(list) => {
                let output = context.command_substitution(list)?;
                fields.push_text(output.trim_end_matches('\n'), expanded);
            }
            WordPart::Parameter(parameter) => {
                expand_parameter(context, parameter, quoted, fields)?;
            }
            WordPart::Arithmetic(inner) => {
                let text = expand_to_string(
                    context,
                    &Word {
                        parts: inner.clone(),
                    },
                )?;
                let value = arithmetic::evaluate(&text, &mut ArithmeticVariables(context))
                    .map_err(|error| ExpansionError::Arithmetic(error.0))?;
                fields.push_text(&value.to_string(), expanded);
            }
        }
    }
    Ok(())
}

fn expand_parameter(
    context: &mut dyn Context,
    parameter: &ParameterExpansion,
    quoted: bool,
    fields: &mut Fields,
) -> Result<(), ExpansionError> {
    let origin = if quoted {
        Origin::Quoted
    } else {
        Origin::Expanded
    };
    let name = parameter.name.as_str();
    if matches!(name, "@" | "*") && parameter.operation == ParameterOperation::Value {
        let parameters = context.positional_parameters();
        if quoted && name == "*" {
            let separator = context
                .parameter("IFS")
                .map_or(Some(' '), |separators| separators.chars().next());
            let mut joined = String::new();
            for (index, value) in parameters.iter().enumerate() {
                if index > 0 {
                    joined.extend(separator);
                }
                joined.push_str(value);
            }
            fields.push_text(&joined, origin);
        } else {
            for (index, value) in parameters.iter().enumerate() {
                if index > 0 {
                    fields.break_field();
                    fields.current.quoted = quoted;
                }
                fields.push_text(value, origin);
            }
        }
        return Ok(());
    }
    let value = if matches!(name, "@" | "*") {
        let parameters = context.positional_parameters();
        (!parameters.is_empty()).then(|| parameters.join(" "))
    } else {
        context.parameter(name)
    };
    let unset_or_null = |colon: bool| match &value {
        None => true,
        Some(text) => colon && text.is_empty(),
    };
    match &parameter.operation {
        ParameterOperation::Value => fields.push_text(value.as_deref().unwrap_or(""), origin),
        ParameterOperation::Length => {
            let length = value.as_deref().unwrap_or("").chars().count();
            fields.push_text(&length.to_string(), origin);
        }
        ParameterOperation::Default { colon, word } => {
            if unset_or_null(*colon) {
                expand_parts(context, &word.parts, quoted, fields)?;
            } else {
                fields.push_text(value.as_deref().unwrap_or(""), origin);
            }
        }
        ParameterOperation::Alternative { colon, word } => {
            if !unset_or_null(*colon) {
                expand_parts(context, &word.parts, quoted, fields)?;
            }
        }
        ParameterOperation::Assign { colon, word } => {
            if unset_or_null(*colon) {
                let text = expand_to_string(context, word)?;
                context.assign(name, &text)?;
                fields.push_text(&text, origin);
            } else {
                fields.push_text(value.as_deref().unwrap_or(""), origin);
            }
        }
        ParameterOperation::Error { colon, word } => {
            if unset_or_null(*colon) {
                let mut message = expand_to_string(context, word)?;
                if message.is_empty() {
                    message = String::from("parameter null or not set");
                }
                return Err(ExpansionError::ParameterUnset {
                    name: String::from(name),
                    message,
                });
            }
            fields.push_text(value.as_deref().unwrap_or(""), origin);
        }
        ParameterOperation::RemovePrefix { longest, pattern } => {
            let text = value.unwrap_or_default();
            let pattern = expand_to_pattern(context, pattern)?;
            let start = pattern::matching_prefix(&pattern, &text, *longest).unwrap_or(0);
            fields.push_text(&text[start..], origin);
        }
        ParameterOperation::RemoveSuffix { longest, pattern } => {
            let text = value.unwrap_or_default();
            let pattern = expand_to_pattern(context, pattern)?;
            let length = pattern::matching_suffix(&pattern, &text, *longest).unwrap_or(0);
            fields.push_text(&text[..text.len() - length], origin);
        }
    }
    Ok(())
}

/// Field splitting (XCU 2.6.5): only characters that came from unquoted expansions split.
/// Runs of IFS white space separate fields and vanish at the ends; each other IFS character
/// ends a field (possibly an empty one).
fn split_field(field: Field, separators: &str) -> Vec<Vec<(char, Origin)>> {
    let mut result = Vec::new();
    let mut current = Vec::new();
    // Whether `current` is a field even if empty: it has text, or follows a non-white
    // separator, or the word had quotes.
    let mut real = false;
    for (character, origin) in field.characters {
        if origin == Origin::Expanded && separators.contains(character) {
            let white = matches!(character, ' ' | '\t' | '\n');
            if white {
                if real || !current.is_empty() {
                    result.push(core::mem::take(&mut current));
                }
                real = false;
            } else {
                result.push(core::mem::take(&mut current));
                real = false;
            }
            continue;
        }
        if origin != Origin::Expanded {
            real = true;
        }
        current.push((character, origin));
    }
    if real || !current.is_empty() {
        result.push(current);
    } else if result.is_empty() && field.quoted {
        result.push(Vec::new());
    }
    result
}

/// The shell's variables as arithmetic sees them.
struct ArithmeticVariables<'a>(&'a mut dyn Context);

impl arithmetic::Variables for ArithmeticVariables<'_> {
    fn get(&self, name: &str) -> Option<String> {
        self.0.parameter(name)
    }

    fn set(&mut self, name: &str, value: &str) {
        let _ = self.0.assign(name, value);
    }
}
