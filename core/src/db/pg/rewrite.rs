//! `execute_many` of a plain `INSERT INTO t [(cols)] VALUES ($1, ..., $n)` runs as
//! multi-row INSERTs of many parameter sets each. tokio-postgres ends every execute with
//! its own Sync, so per row the server answers and flushes once (~7 us here, twice what
//! asyncpg's one Sync per batch costs it); one statement per chunk of rows costs it a
//! fraction. pgjdbc's `reWriteBatchedInserts` and postgres.js's bulk insert do the same.
//!
//! Only statements whose meaning cannot change are rewritten: after VALUES comes one
//! tuple of placeholders, literals and casts and nothing else (no RETURNING, ON
//! CONFLICT, subquery or function call, which could see the rows of its own chunk
//! differently). Anything the scanner does not know (a quote, a comment, an operator)
//! keeps the statement as it is.

/// Postgres numbers a statement's parameters with a u16.
const MAX_PARAMS: usize = u16::MAX as usize;

/// An INSERT that can take many rows: its text up to VALUES and its one tuple.
#[derive(Debug)]
pub(super) struct Insert {
    head: String,
    tuple: Vec<Piece>,
    params: usize,
}

#[derive(Debug, PartialEq)]
enum Piece {
    Text(String),
    /// `$k`, 1-based within one row.
    Param(usize),
}

#[derive(Debug, PartialEq)]
enum Tok {
    Word,
    Quoted,
    Number,
    Param(usize),
    Cast,
    Punct(u8),
}

/// The statement's tokens with their byte spans, or None at anything unknown.
fn scan(sql: &str) -> Option<Vec<(Tok, usize, usize)>> {
    let b = sql.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80;
    let mut toks = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let tok = match b[i] {
            c if c.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                while i < b.len() && word(b[i]) {
                    i += 1;
                }
                Tok::Word
            }
            c if c.is_ascii_digit() => {
                while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                    i += 1;
                }
                Tok::Number
            }
            b'"' => {
                i += 1;
                loop {
                    match b.get(i) {
                        None => return None,
                        Some(b'"') if b.get(i + 1) == Some(&b'"') => i += 2,
                        Some(b'"') => break,
                        Some(_) => i += 1,
                    }
                }
                i += 1;
                Tok::Quoted
            }
            b'$' => {
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                // `$tag$` opens a dollar-quoted string: not ours.
                let k: usize = sql[start + 1..i].parse().ok()?;
                if k == 0 || b.get(i).is_some_and(|&c| word(c)) {
                    return None;
                }
                Tok::Param(k)
            }
            b':' if b.get(i + 1) == Some(&b':') => {
                i += 2;
                Tok::Cast
            }
            c @ (b'(' | b')' | b',' | b'.' | b';' | b'[' | b']') => {
                i += 1;
                Tok::Punct(c)
            }
            _ => return None,
        };
        toks.push((tok, start, i));
    }
    Some(toks)
}

/// A cursor over the tokens, keyword matches ignoring case.
struct Cursor<'a> {
    sql: &'a str,
    toks: &'a [(Tok, usize, usize)],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|t| &t.0)
    }

    fn text(&self) -> &str {
        self.toks
            .get(self.at)
            .map_or("", |&(_, s, e)| &self.sql[s..e])
    }

    fn keyword(&mut self, kw: &str) -> bool {
        let hit = self.peek() == Some(&Tok::Word) && self.text().eq_ignore_ascii_case(kw);
        self.at += usize::from(hit);
        hit
    }

    fn punct(&mut self, c: u8) -> bool {
        let hit = self.peek() == Some(&Tok::Punct(c));
        self.at += usize::from(hit);
        hit
    }

    /// An identifier, plain or quoted.
    fn name(&mut self) -> bool {
        let hit = matches!(self.peek(), Some(Tok::Word | Tok::Quoted));
        self.at += usize::from(hit);
        hit
    }

    fn number(&mut self) -> bool {
        let hit = self.peek() == Some(&Tok::Number);
        self.at += usize::from(hit);
        hit
    }

    /// `item [, item]*` up to and including a closing parenthesis.
    fn list(&mut self, item: fn(&mut Self) -> bool) -> bool {
        loop {
            if !item(self) {
                return false;
            }
            if self.punct(b')') {
                return true;
            }
            if !self.punct(b',') {
                return false;
            }
        }
    }

    /// A type after `::`: `int4`, `double precision`, `varchar(10)`, `numeric(10, 2)`,
    /// `schema.type`, `int[]`, `text[3][]`, `timestamp with time zone`.
    fn type_name(&mut self) -> bool {
        if !self.name() {
            return false;
        }
        let more = ["precision", "varying", "with", "without", "time", "zone"];
        while more.iter().any(|kw| self.keyword(kw)) || (self.punct(b'.') && self.name()) {}
        if self.punct(b'(') && !self.list(Self::number) {
            return false;
        }
        while self.punct(b'[') {
            self.number();
            if !self.punct(b']') {
                return false;
            }
        }
        true
    }

    /// One tuple element: a placeholder or a literal, then any casts.
    fn element(&mut self) -> bool {
        let literal = ["NULL", "DEFAULT", "TRUE", "FALSE"];
        let hit = match self.peek() {
            Some(Tok::Param(_) | Tok::Number) => true,
            Some(Tok::Word) => literal
                .iter()
                .any(|kw| self.text().eq_ignore_ascii_case(kw)),
            _ => false,
        };
        if !hit {
            return false;
        }
        self.at += 1;
        while self.peek() == Some(&Tok::Cast) {
            self.at += 1;
            if !self.type_name() {
                return false;
            }
        }
        true
    }
}

impl Insert {
    /// The statement as a repeatable INSERT, if it is one and takes `params` parameters
    /// (the prepared statement's count: every `$k` up to it appears in the tuple).
    pub(super) fn parse(sql: &str, params: usize) -> Option<Insert> {
        if params == 0 || params > MAX_PARAMS / 2 {
            return None;
        }
        let toks = scan(sql)?;
        let mut c = Cursor {
            sql,
            toks: &toks,
            at: 0,
        };
        if !(c.keyword("INSERT") && c.keyword("INTO") && c.name()) {
            return None;
        }
        while c.punct(b'.') {
            if !c.name() {
                return None;
            }
        }
        if c.punct(b'(') && !c.list(Cursor::name) {
            return None;
        }
        if !c.keyword("VALUES") {
            return None;
        }
        let head_end = toks[c.at - 1].2;
        let open = c.at;
        if !(c.punct(b'(') && c.list(Cursor::element)) {
            return None;
        }
        let close = c.at - 1;
        c.punct(b';');
        if c.peek().is_some() {
            return None;
        }

        let mut tuple = Vec::new();
        let mut text_from = toks[open].1;
        let mut highest = 0;
        for &(ref tok, start, end) in &toks[open..=close] {
            if let Tok::Param(k) = *tok {
                tuple.push(Piece::Text(sql[text_from..start].to_string()));
                tuple.push(Piece::Param(k));
                highest = highest.max(k);
                text_from = end;
            }
        }
        tuple.push(Piece::Text(sql[text_from..toks[close].2].to_string()));
        (highest == params).then(|| Insert {
            head: sql[..head_end].to_string(),
            tuple,
            params,
        })
    }

    /// The statement for `rows` rows: the tuple repeated, row `r`'s `$k` renumbered
    /// to `$(r * params + k)`.
    pub(super) fn sql(&self, rows: usize) -> String {
        let mut out = String::with_capacity(self.head.len() + rows * 8 * (self.params + 1));
        out.push_str(&self.head);
        out.push(' ');
        for r in 0..rows {
            if r > 0 {
                out.push_str(", ");
            }
            for piece in &self.tuple {
                match piece {
                    Piece::Text(t) => out.push_str(t),
                    Piece::Param(k) => {
                        out.push('$');
                        out.push_str(&(r * self.params + k).to_string());
                    }
                }
            }
        }
        out
    }

    /// Rows per statement for `total` rows: powers of two up to `max_rows` (and the
    /// parameter limit), the largest first, so a pool's statement cache holds at most a
    /// handful of sizes per INSERT whatever the batch lengths.
    pub(super) fn chunks(&self, total: usize, max_rows: usize) -> Vec<usize> {
        let cap = max_rows.min(MAX_PARAMS / self.params);
        let largest = 1 << cap.ilog2();
        let mut sizes = vec![largest; total / largest];
        let mut rest = total % largest;
        while rest > 0 {
            let size = 1 << rest.ilog2();
            sizes.push(size);
            rest -= size;
        }
        sizes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(sql: &str, params: usize, rows: usize) -> Option<String> {
        Insert::parse(sql, params).map(|i| i.sql(rows))
    }

    #[test]
    fn repeats_the_tuple_with_renumbered_placeholders() {
        assert_eq!(
            rewritten("INSERT INTO t VALUES ($1, $2)", 2, 3).as_deref(),
            Some("INSERT INTO t VALUES ($1, $2), ($3, $4), ($5, $6)")
        );
        assert_eq!(
            rewritten(
                "insert into \"My \"\"T\"\".x\" (a, \"B\") values ($2::numeric(10, 2), $1::text[])",
                2,
                2
            )
            .as_deref(),
            Some(
                "insert into \"My \"\"T\"\".x\" (a, \"B\") values ($2::numeric(10, 2), $1::text[]), ($4::numeric(10, 2), $3::text[])"
            )
        );
        assert_eq!(
            rewritten(
                "INSERT INTO s.t(a,b,c,d) VALUES($1,DEFAULT,NULL::int,$1::double precision);",
                1,
                2
            )
            .as_deref(),
            Some(
                "INSERT INTO s.t(a,b,c,d) VALUES ($1,DEFAULT,NULL::int,$1::double precision), ($2,DEFAULT,NULL::int,$2::double precision)"
            )
        );
        assert_eq!(
            rewritten(
                "INSERT INTO t VALUES ($1::timestamp with time zone, 1.5, true)",
                1,
                2
            )
            .as_deref(),
            Some(
                "INSERT INTO t VALUES ($1::timestamp with time zone, 1.5, true), ($2::timestamp with time zone, 1.5, true)"
            )
        );
        assert_eq!(
            rewritten("INSERT INTO t VALUES ($1, 1.5, true, 'x')", 1, 2),
            None
        );
    }

    #[test]
    fn keeps_every_statement_a_chunk_could_change() {
        for sql in [
            "INSERT INTO t VALUES ($1) RETURNING id",
            "INSERT INTO t VALUES ($1) ON CONFLICT DO NOTHING",
            "INSERT INTO t VALUES ($1), ($2)",
            "INSERT INTO t VALUES ((SELECT max(id) FROM t))",
            "INSERT INTO t VALUES (nextval('s'))",
            "INSERT INTO t VALUES ($1 + 1)",
            "INSERT INTO t VALUES (-$1)",
            "INSERT INTO t SELECT $1",
            "INSERT INTO t AS x VALUES ($1)",
            "INSERT INTO t OVERRIDING SYSTEM VALUE VALUES ($1)",
            "WITH x AS (SELECT 1) INSERT INTO t VALUES ($1)",
            "UPDATE t SET a = $1",
            "INSERT INTO t VALUES ($1) -- note",
            "INSERT INTO t VALUES ($1) /* note */",
            "INSERT INTO t VALUES ($1::text COLLATE \"C\")",
            "INSERT INTO t VALUES ($1::int OR f(1))",
            "INSERT INTO $x$t$x$ VALUES ($1)",
            "INSERT INTO t VALUES ($1);;",
            "INSERT INTO \"t VALUES ($1)",
            "INSERT INTO t VALUES ($0)",
        ] {
            assert!(Insert::parse(sql, 1).is_none(), "{sql}");
        }
        // Every parameter the statement takes must sit in the tuple.
        assert!(Insert::parse("INSERT INTO t VALUES ($1)", 2).is_none());
        assert!(Insert::parse("INSERT INTO t VALUES (1)", 0).is_none());
    }

    #[test]
    fn chunks_are_powers_of_two_within_the_parameter_limit() {
        let one = Insert::parse("INSERT INTO t VALUES ($1)", 1).unwrap();
        assert_eq!(one.chunks(2500, 1024), vec![1024, 1024, 256, 128, 64, 4]);
        assert_eq!(one.chunks(3, 1024), vec![2, 1]);
        assert_eq!(one.chunks(0, 1024), Vec::<usize>::new());
        let cols = (1..=1000)
            .map(|k| format!("${k}"))
            .collect::<Vec<_>>()
            .join(", ");
        let wide = Insert::parse(&format!("INSERT INTO t VALUES ({cols})"), 1000).unwrap();
        // 65535 / 1000 = 65 rows at most: 64 per statement.
        assert_eq!(wide.chunks(130, 1024), vec![64, 64, 2]);
        assert!(wide.sql(64).ends_with("$64000)"));
    }
}
