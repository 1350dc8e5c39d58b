//! [`Cursor`], the byte cursor used by the address and Via checks.

use super::chars::{is_token_byte, is_ws};

/// A byte cursor over a `&str`, moving only over ASCII delimiters so its
/// slices always fall on character boundaries.
pub(super) struct Cursor<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(s: &'a str) -> Self {
        Cursor { s, i: 0 }
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }

    pub(super) fn at_end(&self) -> bool {
        self.i >= self.s.len()
    }

    pub(super) fn bump(&mut self) {
        self.i += 1;
    }

    pub(super) fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        if hit {
            self.i += 1;
        }
        hit
    }

    pub(super) fn skip_ws(&mut self) -> usize {
        let start = self.i;
        while self.peek().is_some_and(is_ws) {
            self.i += 1;
        }
        self.i - start
    }

    /// Bytes while `f` holds; `f` must reject the bytes of multi-byte
    /// characters or accept whole characters (we only stop at ASCII).
    pub(super) fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a str {
        let start = self.i;
        while self.peek().is_some_and(&f) {
            self.i += 1;
        }
        self.s.get(start..self.i).unwrap_or("")
    }

    /// A quoted string, quotes included; `\` escapes the next byte.
    pub(super) fn quoted_string(&mut self) -> Result<&'a str, &'static str> {
        let start = self.i;
        if !self.eat(b'"') {
            return Err("expected a quoted string");
        }
        loop {
            match self.peek() {
                None => return Err("unterminated quoted string"),
                Some(b'"') => {
                    self.i += 1;
                    return self
                        .s
                        .get(start..self.i)
                        .ok_or("unterminated quoted string");
                }
                Some(b'\\') => self.i += 2,
                Some(_) => self.i += 1,
            }
        }
    }

    /// A parameter value: quoted string, or token/host characters.
    pub(super) fn param_value(&mut self) -> Result<&'a str, &'static str> {
        if self.peek() == Some(b'"') {
            return self.quoted_string();
        }
        let v = self.take_while(|b| b > b' ' && b < 0x7f && !b";,\"<>=".contains(&b));
        if v.is_empty() {
            Err("empty parameter value")
        } else {
            Ok(v)
        }
    }

    /// `*( SWS ";" SWS name [ SWS "=" SWS value ] )` to the end.
    pub(super) fn params(&mut self) -> Result<(), &'static str> {
        loop {
            self.skip_ws();
            if self.at_end() {
                return Ok(());
            }
            if !self.eat(b';') {
                return Err("unexpected text after the address");
            }
            self.skip_ws();
            if self.take_while(is_token_byte).is_empty() {
                return Err("empty parameter");
            }
            self.skip_ws();
            if self.eat(b'=') {
                self.skip_ws();
                self.param_value()?;
            }
        }
    }
}
