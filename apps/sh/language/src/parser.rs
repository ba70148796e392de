//! Source text to the syntax tree: tokens (POSIX XCU 2.3, "Token Recognition"), quoting (2.2),
//! here-documents (2.7.4) and the grammar of 2.10, by recursive descent. Reserved words are
//! recognised only where a command may start; command substitutions are parsed as they are met,
//! so that a `)` inside them is found by the grammar rather than by counting.

use alloc::format;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::RefCell;
use core::fmt;

use crate::syntax::{
    AndOr, Assignment, Command, CompoundCommand, Connector, HereDocument, List, ListItem,
    ParameterExpansion, ParameterOperation, Pipeline, Redirection, RedirectionKind, SimpleCommand,
    Word, WordPart,
};

/// Why a program did not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// The text ended inside a construct (a quote, `if` without `fi`, `&&` without a command):
    /// an interactive shell reads another line.
    Incomplete(&'static str),
    /// A token where the grammar does not allow it.
    Unexpected(String),
    /// A malformed `${…}`.
    BadSubstitution(String),
}

impl fmt::Display for ParseError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Incomplete(what) => write!(formatter, "unexpected end of text: {what}"),
            Self::Unexpected(token) => write!(formatter, "syntax error near `{token}`"),
            Self::BadSubstitution(text) => write!(formatter, "bad substitution: {text}"),
        }
    }
}

/// Parses a whole program.
///
/// # Errors
/// [`ParseError`] for text that is not a complete, well-formed program.
pub fn parse(source: &str) -> Result<List, ParseError> {
    let mut parser = Parser::new(source);
    let list = parser.parse_list()?;
    match parser.next_token()? {
        Token::End => Ok(list),
        token => Err(ParseError::Unexpected(token.to_string())),
    }
}

/// A program read one complete command at a time (each ends at a newline outside any compound
/// command), so that a script runs its first commands before a later one is even parsed — as
/// a shell must, since a command may define a function used further on, or exit before a
/// syntax error later in the file matters.
pub struct CompleteCommands {
    parser: Parser,
    failed: bool,
}

impl CompleteCommands {
    /// Reads `source`.
    #[must_use]
    pub fn new(source: &str) -> Self {
        Self {
            parser: Parser::new(source),
            failed: false,
        }
    }
}

impl Iterator for CompleteCommands {
    type Item = Result<List, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let result = (|| {
            let list = self.parser.parse_list_of(true)?;
            if list.is_empty() {
                return match self.parser.next_token()? {
                    Token::End => Ok(None),
                    token => Err(ParseError::Unexpected(token.to_string())),
                };
            }
            Ok(Some(list))
        })();
        match result {
            Ok(Some(list)) => Some(Ok(list)),
            Ok(None) => None,
            Err(error) => {
                self.failed = true;
                Some(Err(error))
            }
        }
    }
}

/// The operators (XCU 2.10.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operator {
    Semicolon,
    DoubleSemicolon,
    Ampersand,
    AndIf,
    OrIf,
    Pipe,
    LeftParenthesis,
    RightParenthesis,
    Less,
    Great,
    DoubleLess,
    DoubleLessDash,
    DoubleGreat,
    LessAnd,
    GreatAnd,
    LessGreat,
    Clobber,
}

impl Operator {
    fn text(self) -> &'static str {
        match self {
            Self::Semicolon => ";",
            Self::DoubleSemicolon => ";;",
            Self::Ampersand => "&",
            Self::AndIf => "&&",
            Self::OrIf => "||",
            Self::Pipe => "|",
            Self::LeftParenthesis => "(",
            Self::RightParenthesis => ")",
            Self::Less => "<",
            Self::Great => ">",
            Self::DoubleLess => "<<",
            Self::DoubleLessDash => "<<-",
            Self::DoubleGreat => ">>",
            Self::LessAnd => "<&",
            Self::GreatAnd => ">&",
            Self::LessGreat => "<>",
            Self::Clobber => ">|",
        }
    }

    fn is_redirection(self) -> bool {
        matches!(
            self,
            Self::Less
                | Self::Great
                | Self::DoubleLess
                | Self::DoubleLessDash
                | Self::DoubleGreat
                | Self::LessAnd
                | Self::GreatAnd
                | Self::LessGreat
                | Self::Clobber
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(Word),
    /// Digits directly before `<` or `>`.
    IoNumber(i32),
    Operator(Operator),
    Newline,
    End,
}

impl fmt::Display for Token {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Word(word) => write!(formatter, "{}", word.as_plain_literal().unwrap_or("word")),
            Self::IoNumber(number) => write!(formatter, "{number}"),
            Self::Operator(operator) => formatter.write_str(operator.text()),
            Self::Newline => formatter.write_str("newline"),
            Self::End => formatter.write_str("end of text"),
        }
    }
}

/// Words that close a list: a list stops before them.
const CLOSING_WORDS: &[&str] = &["then", "elif", "else", "fi", "do", "done", "esac", "}"];

/// Where a run of word characters ends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum WordEnd {
    /// At a blank or an operator character (an ordinary word).
    Metacharacter,
    /// At `}` (the word of `${name:-word}`), blanks included.
    Brace,
}

struct PendingHereDocument {
    delimiter: String,
    strip_tabs: bool,
    document: Rc<RefCell<HereDocument>>,
}

/// How deeply commands may nest (`( ( …`, `if if …`, `$( $( …`): each level costs stack, and a
/// program's stack is small, so deeper text is refused rather than overflowing it.
pub const MAXIMUM_NESTING: u32 = 24;

struct Parser {
    /// Commands being parsed inside one another.
    depth: u32,
    characters: Vec<char>,
    position: usize,
    peeked: Option<Token>,
    pending: Vec<PendingHereDocument>,
}

fn is_name_start(character: char) -> bool {
    character.is_ascii_alphabetic() || character == '_'
}

fn is_name_character(character: char) -> bool {
    character.is_ascii_alphanumeric() || character == '_'
}

/// Whether `text` is a variable name.
#[must_use]
pub fn is_name(text: &str) -> bool {
    let mut characters = text.chars();
    characters.next().is_some_and(is_name_start) && characters.all(is_name_character)
}

fn is_metacharacter(character: char) -> bool {
    matches!(
        character,
        ' ' | '\t' | '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')'
    )
}

impl Parser {
    fn new(source: &str) -> Self {
        Self {
            depth: 0,
            characters: source.chars().collect(),
            position: 0,
            peeked: None,
            pending: Vec::new(),
        }
    }

    /// A parser for text nested in this one's (a backquoted command, an arithmetic expression),
    /// counting toward the same nesting limit.
    fn nested(&self, source: &str) -> Result<Self, ParseError> {
        if self.depth >= MAXIMUM_NESTING {
            return Err(ParseError::Unexpected(String::from("(nested too deeply)")));
        }
        let mut parser = Self::new(source);
        parser.depth = self.depth + 1;
        Ok(parser)
    }

    fn current(&self) -> Option<char> {
        self.characters.get(self.position).copied()
    }

    fn at(&self, offset: usize) -> Option<char> {
        self.characters.get(self.position + offset).copied()
    }

    // ---- tokens ----

    fn peek(&mut self) -> Result<&Token, ParseError> {
        if self.peeked.is_none() {
            let token = self.lex_token()?;
            self.peeked = Some(token);
        }
        Ok(self.peeked.as_ref().unwrap_or(&Token::End))
    }

    fn next_token(&mut self) -> Result<Token, ParseError> {
        match self.peeked.take() {
            Some(token) => Ok(token),
            None => self.lex_token(),
        }
    }

    /// The peeked token's text when it is an unquoted literal word.
    fn peek_plain_word(&mut self) -> Result<Option<String>, ParseError> {
        Ok(match self.peek()? {
            Token::Word(word) => word.as_plain_literal().map(String::from),
            _ => None,
        })
    }

    fn lex_token(&mut self) -> Result<Token, ParseError> {
        // Blanks, line continuations and comments.
        loop {
            match self.current() {
                Some(' ' | '\t') => self.position += 1,
                Some('\\') if self.at(1) == Some('\n') => self.position += 2,
                Some('#') => {
                    while self.current().is_some_and(|character| character != '\n') {
                        self.position += 1;
                    }
                }
                _ => break,
            }
        }
        let Some(character) = self.current() else {
            if !self.pending.is_empty() {
                return Err(ParseError::Incomplete("here-document"));
            }
            return Ok(Token::End);
        };
        if character == '\n' {
            self.position += 1;
            self.read_here_documents()?;
            return Ok(Token::Newline);
        }
        if let Some(operator) = self.lex_operator() {
            return Ok(Token::Operator(operator));
        }
        // A digit string directly before `<` or `>` names a descriptor.
        let digits = self.characters[self.position..]
            .iter()
            .take_while(|character| character.is_ascii_digit())
            .count();
        if digits > 0 && matches!(self.at(digits), Some('<' | '>')) {
            let text: String = self.characters[self.position..self.position + digits]
                .iter()
                .collect();
            if let Ok(number) = text.parse() {
                self.position += digits;
                return Ok(Token::IoNumber(number));
            }
        }
        Ok(Token::Word(self.lex_word(WordEnd::Metacharacter)?))
    }

    fn lex_operator(&mut self) -> Option<Operator> {
        let first = self.current()?;
        let second = self.at(1);
        let (operator, length) = match (first, second) {
            (';', Some(';')) => (Operator::DoubleSemicolon, 2),
            (';', _) => (Operator::Semicolon, 1),
            ('&', Some('&')) => (Operator::AndIf, 2),
            ('&', _) => (Operator::Ampersand, 1),
            ('|', Some('|')) => (Operator::OrIf, 2),
            ('|', _) => (Operator::Pipe, 1),
            ('(', _) => (Operator::LeftParenthesis, 1),
            (')', _) => (Operator::RightParenthesis, 1),
            ('<', Some('<')) if self.at(2) == Some('-') => (Operator::DoubleLessDash, 3),
            ('<', Some('<')) => (Operator::DoubleLess, 2),
            ('<', Some('&')) => (Operator::LessAnd, 2),
            ('<', Some('>')) => (Operator::LessGreat, 2),
            ('<', _) => (Operator::Less, 1),
            ('>', Some('>')) => (Operator::DoubleGreat, 2),
            ('>', Some('&')) => (Operator::GreatAnd, 2),
            ('>', Some('|')) => (Operator::Clobber, 2),
            ('>', _) => (Operator::Great, 1),
            _ => return None,
        };
        self.position += length;
        Some(operator)
    }

    /// Reads the bodies of the here-documents whose operators were on the line just ended.
    fn read_here_documents(&mut self) -> Result<(), ParseError> {
        for pending in core::mem::take(&mut self.pending) {
            let mut body = String::new();
            loop {
                if self.current().is_none() {
                    break;
                }
                let start = self.position;
                while self.current().is_some_and(|character| character != '\n') {
                    self.position += 1;
                }
                let mut line: String = self.characters[start..self.position].iter().collect();
                if self.current() == Some('\n') {
                    self.position += 1;
                }
                if pending.strip_tabs {
                    line = String::from(line.trim_start_matches('\t'));
                }
                if line == pending.delimiter {
                    break;
                }
                body.push_str(&line);
                body.push('\n');
            }
            let mut document = pending.document.borrow_mut();
            document.body = if document.literal {
                Word::literal(&body)
            } else {
                Word {
                    parts: self.nested(&body)?.lex_here_document_body()?,
                }
            };
        }
        Ok(())
    }

    // ---- words ----

    /// One word's parts, up to `end`.
    fn lex_word(&mut self, end: WordEnd) -> Result<Word, ParseError> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let start = self.position;
        // `~` or `~user` at the start of a word.
        if end == WordEnd::Metacharacter && self.current() == Some('~') {
            let mut offset = 1;
            while let Some(character) = self.at(offset) {
                if character == '/' || is_metacharacter(character) {
                    break;
                }
                if !(is_name_character(character) || character == '-' || character == '.') {
                    offset = 0;
                    break;
                }
                offset += 1;
            }
            if offset > 0 {
                let user = self.characters[self.position + 1..self.position + offset]
                    .iter()
                    .collect();
                parts.push(WordPart::Tilde(user));
                self.position += offset;
            }
        }
        while let Some(character) = self.current() {
            match (end, character) {
                (WordEnd::Metacharacter, character) if is_metacharacter(character) => break,
                (WordEnd::Brace, '}') => break,
                _ => {}
            }
            match character {
                '\\' => {
                    self.position += 1;
                    match self.current() {
                        Some('\n') => self.position += 1,
                        Some(escaped) => {
                            flush(&mut literal, &mut parts);
                            parts.push(WordPart::Escaped(escaped));
                            self.position += 1;
                        }
                        None => literal.push('\\'),
                    }
                }
                '\'' => {
                    flush(&mut literal, &mut parts);
                    self.position += 1;
                    let begin = self.position;
                    while self.current().is_some_and(|character| character != '\'') {
                        self.position += 1;
                    }
                    if self.current().is_none() {
                        return Err(ParseError::Incomplete("unterminated '"));
                    }
                    let text = self.characters[begin..self.position].iter().collect();
                    self.position += 1;
                    parts.push(WordPart::SingleQuoted(text));
                }
                '"' => {
                    flush(&mut literal, &mut parts);
                    self.position += 1;
                    let inner = self.lex_double_quoted()?;
                    parts.push(WordPart::DoubleQuoted(inner));
                }
                '$' => {
                    if let Some(part) = self.lex_dollar()? {
                        flush(&mut literal, &mut parts);
                        parts.push(part);
                    } else {
                        literal.push('$');
                    }
                }
                '`' => {
                    flush(&mut literal, &mut parts);
                    parts.push(self.lex_backquote()?);
                }
                other => {
                    literal.push(other);
                    self.position += 1;
                }
            }
        }
        flush(&mut literal, &mut parts);
        if parts.is_empty() && self.position == start && end == WordEnd::Metacharacter {
            // Cannot happen: the caller saw a word character.
            return Err(ParseError::Unexpected(
                self.current().unwrap_or(' ').to_string(),
            ));
        }
        Ok(Word { parts })
    }

    /// The inside of `"…"`, after the opening quote, consuming the closing one.
    fn lex_double_quoted(&mut self) -> Result<Vec<WordPart>, ParseError> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        loop {
            let Some(character) = self.current() else {
                return Err(ParseError::Incomplete("unterminated \""));
            };
            match character {
                '"' => {
                    self.position += 1;
                    break;
                }
                '\\' => {
                    self.position += 1;
                    match self.current() {
                        Some('\n') => self.position += 1,
                        Some(escaped @ ('$' | '`' | '"' | '\\')) => {
                            flush(&mut literal, &mut parts);
                            parts.push(WordPart::Escaped(escaped));
                            self.position += 1;
                        }
                        _ => literal.push('\\'),
                    }
                }
                '$' => {
                    if let Some(part) = self.lex_dollar()? {
                        flush(&mut literal, &mut parts);
                        parts.push(part);
                    } else {
                        literal.push('$');
                    }
                }
                '`' => {
                    flush(&mut literal, &mut parts);
                    parts.push(self.lex_backquote()?);
                }
                other => {
                    literal.push(other);
                    self.position += 1;
                }
            }
        }
        flush(&mut literal, &mut parts);
        Ok(parts)
    }

    /// A here-document body with expansions: as inside double quotes, but `"` is ordinary.
    fn lex_here_document_body(&mut self) -> Result<Vec<WordPart>, ParseError> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        while let Some(character) = self.current() {
            match character {
                '\\' => {
                    self.position += 1;
                    match self.current() {
                        Some('\n') => self.position += 1,
                        Some(escaped @ ('$' | '`' | '\\')) => {
                            flush(&mut literal, &mut parts);
                            parts.push(WordPart::Escaped(escaped));
                            self.position += 1;
                        }
                        _ => literal.push('\\'),
                    }
                }
                '$' => {
                    if let Some(part) = self.lex_dollar()? {
                        flush(&mut literal, &mut parts);
                        parts.push(part);
                    } else {
                        literal.push('$');
                    }
                }
                '`' => {
                    flush(&mut literal, &mut parts);
                    parts.push(self.lex_backquote()?);
                }
                other => {
                    literal.push(other);
                    self.position += 1;
                }
            }
        }
        flush(&mut literal, &mut parts);
        Ok(parts)
    }

    /// At a `$`: the expansion it starts, consuming it, or `None` (and nothing consumed but the
    /// `$`) when it is a literal dollar sign.
    fn lex_dollar(&mut self) -> Result<Option<WordPart>, ParseError> {
        self.position += 1;
        match self.current() {
            Some('(') => {
                if self.at(1) == Some('(') {
                    self.position += 2;
                    return self.lex_arithmetic().map(Some);
                }
                self.position += 1;
                if self.depth >= MAXIMUM_NESTING {
                    return Err(ParseError::Unexpected(String::from("(nested too deeply)")));
                }
                self.depth += 1;
                let list = self.parse_nested_list();
                self.depth -= 1;
                let list = list?;
                match self.next_token()? {
                    Token::Operator(Operator::RightParenthesis) => {}
                    Token::End => return Err(ParseError::Incomplete("$( without )")),
                    token => return Err(ParseError::Unexpected(token.to_string())),
                }
                Ok(Some(WordPart::CommandSubstitution(Rc::new(list))))
            }
            Some('{') => {
                self.position += 1;
                self.lex_braced_parameter().map(Some)
            }
            Some(character) if is_name_start(character) => {
                let begin = self.position;
                while self.current().is_some_and(is_name_character) {
                    self.position += 1;
                }
                let name = self.characters[begin..self.position].iter().collect();
                Ok(Some(WordPart::Parameter(ParameterExpansion {
                    name,
                    operation: ParameterOperation::Value,
                })))
            }
            Some(character @ ('0'..='9' | '@' | '*' | '#' | '?' | '-' | '$' | '!')) => {
                self.position += 1;
                Ok(Some(WordPart::Parameter(ParameterExpansion {
                    name: character.to_string(),
                    operation: ParameterOperation::Value,
                })))
            }
            _ => Ok(None),
        }
    }

    /// After `$((`: the expression up to the matching `))`, lexed as inside double quotes.
    fn lex_arithmetic(&mut self) -> Result<WordPart, ParseError> {
        let start = self.position;
        let mut depth = 0usize;
        loop {
            match self.current() {
                None => return Err(ParseError::Incomplete("$(( without ))")),
                Some('(') => depth += 1,
                Some(')') if depth == 0 => {
                    if self.at(1) != Some(')') {
                        return Err(ParseError::BadSubstitution(String::from("$(( without ))")));
                    }
                    break;
                }
                Some(')') => depth -= 1,
                Some(_) => {}
            }
            self.position += 1;
        }
        let text: String = self.characters[start..self.position].iter().collect();
        self.position += 2;
        Ok(WordPart::Arithmetic(
            self.nested(&text)?.lex_here_document_body()?,
        ))
    }

    /// A list inside `$(…)`: parsed with this parser (so that a `)` in a `case` arm or a quote
    /// is not taken for the end), leaving the `)` as the next token.
    fn parse_nested_list(&mut self) -> Result<List, ParseError> {
        let saved_peek = self.peeked.take();
        let saved_pending = core::mem::take(&mut self.pending);
        let list = self.parse_list();
        self.pending = saved_pending;
        let list = list?;
        if saved_peek.is_some() {
            self.peeked = saved_peek;
        }
        Ok(list)
    }

    /// After `${`: the parameter, its operation and the closing `}`.
    fn lex_braced_parameter(&mut self) -> Result<WordPart, ParseError> {
        let length = self.current() == Some('#')
            && self.at(1).is_some_and(|next| next != '}')
            && !matches!(self.at(1), Some('-' | '=' | '?' | '+' | '%' | ':'));
        if length {
            self.position += 1;
        }
        let name = self.lex_parameter_name()?;
        if length {
            if self.current() != Some('}') {
                return Err(ParseError::BadSubstitution(format!("${{#{name}")));
            }
            self.position += 1;
            return Ok(WordPart::Parameter(ParameterExpansion {
                name,
                operation: ParameterOperation::Length,
            }));
        }
        let colon = self.current() == Some(':');
        if colon {
            self.position += 1;
        }
        let Some(operator) = self.current() else {
            return Err(ParseError::Incomplete("${ without }"));
        };
        if operator == '}' && !colon {
            self.position += 1;
            return Ok(WordPart::Parameter(ParameterExpansion {
                name,
                operation: ParameterOperation::Value,
            }));
        }
        self.position += 1;
        let doubled = matches!(operator, '%' | '#') && !colon && self.current() == Some(operator);
        if doubled {
            self.position += 1;
        }
        let word = self.lex_word(WordEnd::Brace)?;
        if self.current() != Some('}') {
            return Err(ParseError::Incomplete("${ without }"));
        }
        self.position += 1;
        let operation = match (operator, colon) {
            ('-', _) => ParameterOperation::Default { colon, word },
            ('=', _) => ParameterOperation::Assign { colon, word },
            ('?', _) => ParameterOperation::Error { colon, word },
            ('+', _) => ParameterOperation::Alternative { colon, word },
            ('%', false) => ParameterOperation::RemoveSuffix {
                longest: doubled,
                pattern: word,
            },
            ('#', false) => ParameterOperation::RemovePrefix {
                longest: doubled,
                pattern: word,
            },
            _ => return Err(ParseError::BadSubstitution(format!("${{{name}{operator}"))),
        };
        Ok(WordPart::Parameter(ParameterExpansion { name, operation }))
    }

    fn lex_parameter_name(&mut self) -> Result<String, ParseError> {
        match self.current() {
            Some(character) if is_name_start(character) => {
                let begin = self.position;
                while self.current().is_some_and(is_name_character) {
                    self.position += 1;
                }
                Ok(self.characters[begin..self.position].iter().collect())
            }
            Some(character) if character.is_ascii_digit() => {
                let begin = self.position;
                while self.current().is_some_and(|digit| digit.is_ascii_digit()) {
                    self.position += 1;
                }
                Ok(self.characters[begin..self.position].iter().collect())
            }
            Some(character @ ('@' | '*' | '#' | '?' | '-' | '$' | '!')) => {
                self.position += 1;
                Ok(character.to_string())
            }
            Some(other) => Err(ParseError::BadSubstitution(format!("${{{other}"))),
            None => Err(ParseError::Incomplete("${ without }")),
        }
    }

    /// `` `…` ``: the text up to the closing backquote, with `\$`, `` \` `` and `\\` unescaped,
    /// parsed as a program.
    fn lex_backquote(&mut self) -> Result<WordPart, ParseError> {
        self.position += 1;
        let mut text = String::new();
        loop {
            match self.current() {
                None => return Err(ParseError::Incomplete("unterminated `")),
                Some('`') => {
                    self.position += 1;
                    break;
                }
                Some('\\') if matches!(self.at(1), Some('$' | '`' | '\\')) => {
                    text.push(self.at(1).unwrap_or('\\'));
                    self.position += 2;
                }
                Some(character) => {
                    text.push(character);
                    self.position += 1;
                }
            }
        }
        let mut parser = self.nested(&text)?;
        let list = parser.parse_list()?;
        match parser.next_token()? {
            Token::End => Ok(WordPart::CommandSubstitution(Rc::new(list))),
            token => Err(ParseError::Unexpected(token.to_string())),
        }
    }

    // ---- grammar ----

    fn skip_newlines(&mut self) -> Result<(), ParseError> {
        while *self.peek()? == Token::Newline {
            self.next_token()?;
        }
        Ok(())
    }

    /// Whether the next token ends a list.
    fn at_list_end(&mut self) -> Result<bool, ParseError> {
        if let Some(word) = self.peek_plain_word()? {
            return Ok(CLOSING_WORDS.contains(&word.as_str()));
        }
        Ok(matches!(
            self.peek()?,
            Token::End | Token::Operator(Operator::RightParenthesis | Operator::DoubleSemicolon)
        ))
    }

    /// And-or lists separated by `;`, `&` and newlines, up to a closing word, `)`, `;;` or the
    /// end. May be empty.
    fn parse_list(&mut self) -> Result<List, ParseError> {
        self.parse_list_of(false)
    }

    /// As [`Self::parse_list`]; with `one_line`, only up to the newline that ends a complete
    /// command (XCU 2.10.2's `complete_command`), which it consumes.
    fn parse_list_of(&mut self, one_line: bool) -> Result<List, ParseError> {
        let mut list = Vec::new();
        loop {
            if one_line && !list.is_empty() && *self.peek()? == Token::Newline {
                self.next_token()?;
                return Ok(list);
            }
            self.skip_newlines()?;
            if one_line && !list.is_empty() {
                // After `;` or `&`, the command ends at the end of the text too.
                if *self.peek()? == Token::End {
                    return Ok(list);
                }
            } else if self.at_list_end()? && !(one_line && *self.peek()? != Token::End) {
                return Ok(list);
            }
            let and_or = self.parse_and_or()?;
            let background = match self.peek()? {
                Token::Operator(Operator::Ampersand) => {
                    self.next_token()?;
                    true
                }
                Token::Newline if one_line => {
                    self.next_token()?;
                    list.push(ListItem {
                        and_or,
                        background: false,
                    });
                    return Ok(list);
                }
                Token::Operator(Operator::Semicolon) | Token::Newline => {
                    self.next_token()?;
                    false
                }
                _ => {
                    list.push(ListItem {
                        and_or,
                        background: false,
                    });
                    let ended = if one_line {
                        *self.peek()? == Token::End
                    } else {
                        self.at_list_end()?
                    };
                    if ended {
                        return Ok(list);
                    }
                    let token = self.next_token()?;
                    return Err(ParseError::Unexpected(token.to_string()));
                }
            };
            list.push(ListItem { and_or, background });
        }
    }

    /// A list that must not be empty (the body of a compound command).
    fn parse_compound_list(&mut self) -> Result<List, ParseError> {
        let list = self.parse_list()?;
        if list.is_empty() {
            let token = self.next_token()?;
            return Err(match token {
                Token::End => ParseError::Incomplete("a command was expected"),
                token => ParseError::Unexpected(token.to_string()),
            });
        }
        Ok(list)
    }

    fn expect_word(&mut self, expected: &'static str) -> Result<(), ParseError> {
        match self.next_token()? {
            Token::Word(word) if word.as_plain_literal() == Some(expected) => Ok(()),
            Token::End => Err(ParseError::Incomplete(expected)),
            token => Err(ParseError::Unexpected(token.to_string())),
        }
    }

    fn parse_and_or(&mut self) -> Result<AndOr, ParseError> {
        let first = self.parse_pipeline()?;
        let mut rest = Vec::new();
        loop {
            let connector = match self.peek()? {
                Token::Operator(Operator::AndIf) => Connector::And,
                Token::Operator(Operator::OrIf) => Connector::Or,
                _ => return Ok(AndOr { first, rest }),
            };
            self.next_token()?;
            self.skip_newlines()?;
            rest.push((connector, self.parse_pipeline()?));
        }
    }

    fn parse_pipeline(&mut self) -> Result<Pipeline, ParseError> {
        let negated = self.peek_plain_word()?.as_deref() == Some("!");
        if negated {
            self.next_token()?;
        }
        let mut commands = alloc::vec![self.parse_command()?];
        while *self.peek()? == Token::Operator(Operator::Pipe) {
            self.next_token()?;
            self.skip_newlines()?;
            commands.push(self.parse_command()?);
        }
        Ok(Pipeline { negated, commands })
    }

    fn parse_command(&mut self) -> Result<Command, ParseError> {
        if self.depth >= MAXIMUM_NESTING {
            return Err(ParseError::Unexpected(String::from("(nested too deeply)")));
        }
        self.depth += 1;
        let command = self.parse_command_inner();
        self.depth -= 1;
        command
    }

    fn parse_command_inner(&mut self) -> Result<Command, ParseError> {
        let compound = match self.peek_plain_word()?.as_deref() {
            Some("{") => {
                self.next_token()?;
                let list = self.parse_compound_list()?;
                self.expect_word("}")?;
                Some(CompoundCommand::Group(list))
            }
            Some("if") => Some(self.parse_if()?),
            Some(keyword @ ("while" | "until")) => {
                let until = keyword == "until";
                self.next_token()?;
                let condition = self.parse_compound_list()?;
                let body = self.parse_do_group()?;
                Some(CompoundCommand::Loop {
                    condition,
                    body,
                    until,
                })
            }
            Some("for") => Some(self.parse_for()?),
            Some("case") => Some(self.parse_case()?),
            Some(word) if CLOSING_WORDS.contains(&word) => {
                return Err(ParseError::Unexpected(String::from(word)));
            }
            _ => None,
        };
        let compound = match compound {
            Some(compound) => compound,
            None => match self.peek()? {
                Token::Operator(Operator::LeftParenthesis) => {
                    self.next_token()?;
                    let list = self.parse_compound_list()?;
                    match self.next_token()? {
                        Token::Operator(Operator::RightParenthesis) => {}
                        Token::End => return Err(ParseError::Incomplete("( without )")),
                        token => return Err(ParseError::Unexpected(token.to_string())),
                    }
                    CompoundCommand::Subshell(list)
                }
                _ => return self.parse_simple_command(),
            },
        };
        let mut redirections = Vec::new();
        while let Some(redirection) = self.parse_redirection()? {
            redirections.push(redirection);
        }
        Ok(Command::Compound(compound, redirections))
    }

    fn parse_do_group(&mut self) -> Result<List, ParseError> {
        self.expect_word("do")?;
        let body = self.parse_compound_list()?;
        self.expect_word("done")?;
        Ok(body)
    }

    fn parse_if(&mut self) -> Result<CompoundCommand, ParseError> {
        self.next_token()?;
        let mut branches = Vec::new();
        let mut otherwise = None;
        loop {
            let condition = self.parse_compound_list()?;
            self.expect_word("then")?;
            let body = self.parse_compound_list()?;
            branches.push((condition, body));
            match self.next_token()? {
                Token::Word(word) => match word.as_plain_literal() {
                    Some("elif") => continue,
                    Some("else") => {
                        otherwise = Some(self.parse_compound_list()?);
                        self.expect_word("fi")?;
                        break;
                    }
                    Some("fi") => break,
                    _ => return Err(ParseError::Unexpected(Token::Word(word).to_string())),
                },
                Token::End => return Err(ParseError::Incomplete("if without fi")),
                token => return Err(ParseError::Unexpected(token.to_string())),
            }
        }
        Ok(CompoundCommand::If {
            branches,
            otherwise,
        })
    }

    fn parse_for(&mut self) -> Result<CompoundCommand, ParseError> {
        self.next_token()?;
        let variable = match self.next_token()? {
            Token::Word(word) => match word.as_plain_literal() {
                Some(name) if is_name(name) => String::from(name),
                _ => return Err(ParseError::Unexpected(Token::Word(word).to_string())),
            },
            Token::End => return Err(ParseError::Incomplete("for without a name")),
            token => return Err(ParseError::Unexpected(token.to_string())),
        };
        self.skip_newlines()?;
        let mut items = None;
        if self.peek_plain_word()?.as_deref() == Some("in") {
            self.next_token()?;
            let mut words = Vec::new();
            while let Token::Word(_) = self.peek()? {
                if let Token::Word(word) = self.next_token()? {
                    words.push(word);
                }
            }
            items = Some(words);
            match self.next_token()? {
                Token::Operator(Operator::Semicolon) | Token::Newline => {}
                Token::End => return Err(ParseError::Incomplete("for without do")),
                token => return Err(ParseError::Unexpected(token.to_string())),
            }
        } else if *self.peek()? == Token::Operator(Operator::Semicolon) {
            self.next_token()?;
        }
        self.skip_newlines()?;
        let body = self.parse_do_group()?;
        Ok(CompoundCommand::For {
            variable,
            items,
            body,
        })
    }

    fn parse_case(&mut self) -> Result<CompoundCommand, ParseError> {
        self.next_token()?;
        let subject = match self.next_token()? {
            Token::Word(word) => word,
            Token::End => return Err(ParseError::Incomplete("case without a word")),
            token => return Err(ParseError::Unexpected(token.to_string())),
        };
        self.skip_newlines()?;
        self.expect_word("in")?;
        let mut arms = Vec::new();
        loop {
            self.skip_newlines()?;
            if self.peek_plain_word()?.as_deref() == Some("esac") {
                self.next_token()?;
                break;
            }
            if *self.peek()? == Token::Operator(Operator::LeftParenthesis) {
                self.next_token()?;
            }
            let mut patterns = Vec::new();
            loop {
                match self.next_token()? {
                    Token::Word(word) => patterns.push(word),
                    Token::End => return Err(ParseError::Incomplete("case without esac")),
                    token => return Err(ParseError::Unexpected(token.to_string())),
                }
                match self.next_token()? {
                    Token::Operator(Operator::Pipe) => {}
                    Token::Operator(Operator::RightParenthesis) => break,
                    Token::End => return Err(ParseError::Incomplete("case without esac")),
                    token => return Err(ParseError::Unexpected(token.to_string())),
                }
            }
            let list = self.parse_list()?;
            arms.push((patterns, list));
            match self.next_token()? {
                Token::Operator(Operator::DoubleSemicolon) => {}
                Token::Word(word) if word.as_plain_literal() == Some("esac") => break,
                Token::End => return Err(ParseError::Incomplete("case without esac")),
                token => return Err(ParseError::Unexpected(token.to_string())),
            }
        }
        Ok(CompoundCommand::Case { subject, arms })
    }

    fn parse_simple_command(&mut self) -> Result<Command, ParseError> {
        let mut command = SimpleCommand::default();
        loop {
            if let Some(redirection) = self.parse_redirection()? {
                command.redirections.push(redirection);
                continue;
            }
            let Token::Word(_) = self.peek()? else {
                break;
            };
            let Token::Word(word) = self.next_token()? else {
                break;
            };
            if command.words.is_empty() {
                match split_assignment(&word) {
                    Some(assignment) => {
                        command.assignments.push(assignment);
                        continue;
                    }
                    None => {
                        // `name ( )`: a function definition.
                        if let Some(name) = word.as_plain_literal().filter(|name| is_name(name))
                            && command.assignments.is_empty()
                            && command.redirections.is_empty()
                            && *self.peek()? == Token::Operator(Operator::LeftParenthesis)
                        {
                            let name = String::from(name);
                            self.next_token()?;
                            match self.next_token()? {
                                Token::Operator(Operator::RightParenthesis) => {}
                                token => return Err(ParseError::Unexpected(token.to_string())),
                            }
                            self.skip_newlines()?;
                            let body = self.parse_command()?;
                            if !matches!(body, Command::Compound(..)) {
                                return Err(ParseError::Unexpected(name));
                            }
                            return Ok(Command::FunctionDefinition(name, Rc::new(body)));
                        }
                    }
                }
            }
            command.words.push(word);
        }
        if command.words.is_empty()
            && command.assignments.is_empty()
            && command.redirections.is_empty()
        {
            let token = self.next_token()?;
            return Err(match token {
                Token::End => ParseError::Incomplete("a command was expected"),
                token => ParseError::Unexpected(token.to_string()),
            });
        }
        Ok(Command::Simple(command))
    }

    /// A redirection when one comes next.
    fn parse_redirection(&mut self) -> Result<Option<Redirection>, ParseError> {
        let fd = match self.peek()? {
            Token::IoNumber(number) => Some(*number),
            Token::Operator(operator) if operator.is_redirection() => None,
            _ => return Ok(None),
        };
        if fd.is_some() {
            self.next_token()?;
        }
        let Token::Operator(operator) = self.next_token()? else {
            return Err(ParseError::Unexpected(String::from("redirection")));
        };
        let target = match self.next_token()? {
            Token::Word(word) => word,
            Token::End | Token::Newline => {
                return Err(ParseError::Unexpected(String::from(operator.text())));
            }
            token => return Err(ParseError::Unexpected(token.to_string())),
        };
        let kind = match operator {
            Operator::Less => RedirectionKind::Input(target),
            Operator::Great => RedirectionKind::Output(target),
            Operator::Clobber => RedirectionKind::Clobber(target),
            Operator::DoubleGreat => RedirectionKind::Append(target),
            Operator::LessGreat => RedirectionKind::ReadWrite(target),
            Operator::LessAnd => RedirectionKind::DuplicateInput(target),
            Operator::GreatAnd => RedirectionKind::DuplicateOutput(target),
            Operator::DoubleLess | Operator::DoubleLessDash => {
                let document = Rc::new(RefCell::new(HereDocument {
                    literal: target.has_quotes(),
                    body: Word::default(),
                }));
                self.pending.push(PendingHereDocument {
                    delimiter: quote_removed(&target),
                    strip_tabs: operator == Operator::DoubleLessDash,
                    document: document.clone(),
                });
                RedirectionKind::HereDocument(document)
            }
            _ => return Err(ParseError::Unexpected(String::from(operator.text()))),
        };
        Ok(Some(Redirection { fd, kind }))
    }
}

fn flush(literal: &mut String, parts: &mut Vec<WordPart>) {
    if !literal.is_empty() {
        parts.push(WordPart::Literal(core::mem::take(literal)));
    }
}

/// `NAME=rest` as an assignment, when the word starts with an unquoted name and `=`.
fn split_assignment(word: &Word) -> Option<Assignment> {
    let Some(WordPart::Literal(first)) = word.parts.first() else {
        return None;
    };
    let (name, value) = first.split_once('=')?;
    if !is_name(name) {
        return None;
    }
    let mut parts = Vec::new();
    if !value.is_empty() {
        parts.push(WordPart::Literal(String::from(value)));
    }
    parts.extend(word.parts[1..].iter().cloned());
    Some(Assignment {
        name: String::from(name),
        value: Word { parts },
    })
}

/// A word's text with its quotes removed and nothing expanded (here-document delimiters).
fn quote_removed(word: &Word) -> String {
    fn push(parts: &[WordPart], text: &mut String) {
        for part in parts {
            match part {
                WordPart::Literal(literal) | WordPart::SingleQuoted(literal) => {
                    text.push_str(literal);
                }
                WordPart::Escaped(character) => text.push(*character),
                WordPart::DoubleQuoted(inner) => push(inner, text),
                WordPart::Parameter(parameter) => {
                    text.push('$');
                    text.push_str(&parameter.name);
                }
                WordPart::Tilde(user) => {
                    text.push('~');
                    text.push_str(user);
                }
                WordPart::CommandSubstitution(_) | WordPart::Arithmetic(_) => {}
            }
        }
    }
    let mut text = String::new();
    push(&word.parts, &mut text);
    text
}
