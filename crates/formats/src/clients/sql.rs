//! SQL scripts and dumps: the passwords of the accounts they create or change.
//!
//! - MySQL / MariaDB: `CREATE USER … IDENTIFIED BY 'pw'`, `… IDENTIFIED WITH plugin BY
//!   'pw'`, `… IDENTIFIED BY PASSWORD '*hash'`, `GRANT … IDENTIFIED BY 'pw'`,
//!   `SET PASSWORD FOR … = 'pw'` / `= PASSWORD('pw')`
//!   (<https://dev.mysql.com/doc/refman/8.4/en/create-user.html>);
//! - PostgreSQL: `CREATE|ALTER USER|ROLE … [WITH] [ENCRYPTED] PASSWORD 'pw'`, as `pg_dumpall`
//!   writes them with `md5…` or `SCRAM-SHA-256$…` hashes, which are reported too: they are
//!   cracked offline (<https://www.postgresql.org/docs/current/sql-createrole.html>);
//! - SQL Server: `CREATE|ALTER LOGIN … WITH PASSWORD = 'pw'`;
//! - Oracle: `CREATE|ALTER USER … IDENTIFIED BY pw` (a bare or quoted identifier) and
//!   `IDENTIFIED BY VALUES 'hash'`.
//!
//! Only statements that create or change an account are read, so a `password` column in
//! `INSERT` or `UPDATE` statements is not taken for one.

use std::ops::Range;

use crate::Found;

use super::report;

#[derive(Clone, PartialEq, Eq, Debug)]
enum Tok {
    /// A keyword or identifier.
    Word(Range<usize>),
    /// A string literal's content.
    Str(Range<usize>),
    /// A quoted identifier's content (`"x"`, `` `x` ``).
    Quoted(Range<usize>),
    Punct(u8),
}

impl Tok {
    /// Whether this is the keyword `word` (upper case), in `input`.
    fn is(&self, input: &[u8], word: &[u8]) -> bool {
        matches!(self, Tok::Word(r) if input[r.clone()].eq_ignore_ascii_case(word))
    }
}

pub(super) fn sql_dump(input: &[u8], out: &mut Vec<Found>) {
    let mut st = Statement::default();
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        let (tok, next) = match b {
            b' ' | b'\t' | b'\r' | b'\n' => {
                i += 1;
                continue;
            }
            b'-' if input.get(i + 1) == Some(&b'-') => {
                i = memchr::memchr(b'\n', &input[i..]).map_or(input.len(), |n| i + n);
                continue;
            }
            b'/' if input.get(i + 1) == Some(&b'*') => {
                if input.get(i + 2) == Some(&b'!') {
                    // MySQL's versioned comment `/*!40101 … */` runs its content.
                    i += 3;
                    while input.get(i).is_some_and(u8::is_ascii_digit) {
                        i += 1;
                    }
                } else {
                    i = memchr::memmem::find(&input[i + 2..], b"*/")
                        .map_or(input.len(), |n| i + n + 4);
                }
                continue;
            }
            b'*' if input.get(i + 1) == Some(&b'/') => {
                i += 2;
                continue;
            }
            b'\'' => {
                let (r, e) = string_end(input, i, b'\'', true);
                (Tok::Str(r), e)
            }
            b'"' | b'`' => {
                let (r, e) = string_end(input, i, b, false);
                (Tok::Quoted(r), e)
            }
            b'$' => match dollar_tag(input, i) {
                Some(tag_end) => {
                    let tag = &input[i..tag_end];
                    let body_end = memchr::memmem::find(&input[tag_end..], tag)
                        .map_or(input.len(), |n| tag_end + n);
                    (
                        Tok::Str(tag_end..body_end),
                        (body_end + tag.len()).min(input.len()),
                    )
                }
                None => (Tok::Punct(b'$'), i + 1),
            },
            _ if b.is_ascii_alphanumeric() || b == b'_' => {
                let mut e = i;
                while input
                    .get(e)
                    .is_some_and(|&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'$' | b'#'))
                {
                    e += 1;
                }
                (Tok::Word(i..e), e)
            }
            _ => (Tok::Punct(b), i + 1),
        };
        i = next.max(i + 1);
        st.token(input, tok, out);
    }
}

/// The end of a quoted run starting at `at`: its content and the offset past the closing
/// quote (a doubled quote is one; a backslash escapes when `backslash`).
fn string_end(input: &[u8], at: usize, q: u8, backslash: bool) -> (Range<usize>, usize) {
    let mut i = at + 1;
    while let Some(&c) = input.get(i) {
        if c == b'\\' && backslash {
            i += 2;
        } else if c == q {
            if input.get(i + 1) == Some(&q) {
                i += 2;
            } else {
                return (at + 1..i, i + 1);
            }
        } else {
            i += 1;
        }
    }
    (at + 1..input.len(), input.len())
}

/// The end of a PostgreSQL dollar-quote tag (`$$`, `$body$`) starting at `at`.
fn dollar_tag(input: &[u8], at: usize) -> Option<usize> {
    let mut i = at + 1;
    while input
        .get(i)
        .is_some_and(|&c| c.is_ascii_alphabetic() || c == b'_')
    {
        i += 1;
    }
    (input.get(i) == Some(&b'$')).then_some(i + 1)
}

/// The statement being read: its first words and the last two tokens.
#[derive(Default)]
struct Statement {
    words: Vec<Range<usize>>,
    account: bool,
    identified: bool,
    prev: Option<Tok>,
    prev2: Option<Tok>,
}

impl Statement {
    fn token(&mut self, input: &[u8], tok: Tok, out: &mut Vec<Found>) {
        if tok == Tok::Punct(b';') {
            *self = Statement::default();
            return;
        }
        if let Tok::Word(w) = &tok
            && self.words.len() < 5
        {
            self.words.push(w.clone());
            self.account = self.is_account_statement(input);
        }
        if self.account {
            self.check(input, &tok, out);
        }
        if tok.is(input, b"IDENTIFIED") {
            self.identified = true;
        }
        self.prev2 = self.prev.take();
        self.prev = Some(tok);
    }

    /// `CREATE|ALTER USER|ROLE|LOGIN|GROUP`, `GRANT`, `SET PASSWORD`.
    fn is_account_statement(&self, input: &[u8]) -> bool {
        let word = |n: usize| {
            self.words
                .get(n)
                .map_or(&b""[..], |r| &input[r.clone()])
                .to_ascii_uppercase()
        };
        match word(0).as_slice() {
            b"GRANT" => true,
            b"SET" => word(1) == b"PASSWORD",
            b"CREATE" | b"ALTER" => (1..self.words.len())
                .any(|n| matches!(word(n).as_slice(), b"USER" | b"ROLE" | b"LOGIN" | b"GROUP")),
            _ => false,
        }
    }

    fn check(&self, input: &[u8], tok: &Tok, out: &mut Vec<Found>) {
        let (p1, p2) = (self.prev.as_ref(), self.prev2.as_ref());
        let after_by = p1.is_some_and(|t| t.is(input, b"BY")) && self.identified;
        let after_password = p1.is_some_and(|t| t.is(input, b"PASSWORD"))
            || (p1 == Some(&Tok::Punct(b'=')) && p2.is_some_and(|t| t.is(input, b"PASSWORD")))
            || (p1 == Some(&Tok::Punct(b'(')) && p2.is_some_and(|t| t.is(input, b"PASSWORD")));
        let set_password = self
            .words
            .first()
            .is_some_and(|w| input[w.clone()].eq_ignore_ascii_case(b"SET"))
            && p1 == Some(&Tok::Punct(b'='));
        let by_values =
            p1.is_some_and(|t| t.is(input, b"VALUES")) && p2.is_some_and(|t| t.is(input, b"BY"));
        match tok {
            Tok::Str(r) if after_by || after_password || set_password || by_values => {
                let field: &[u8] = if after_by {
                    b"IDENTIFIED BY"
                } else {
                    b"PASSWORD"
                };
                report(out, input, r.clone(), field, None);
            }
            // Oracle: `IDENTIFIED BY pw`, `IDENTIFIED BY "pw"`.
            Tok::Quoted(r) if after_by && p2.is_some_and(|t| t.is(input, b"IDENTIFIED")) => {
                report(out, input, r.clone(), b"IDENTIFIED BY", None);
            }
            Tok::Word(r)
                if after_by
                    && p2.is_some_and(|t| t.is(input, b"IDENTIFIED"))
                    && !tok.is(input, b"PASSWORD")
                    && !tok.is(input, b"VALUES")
                    && !tok.is(input, b"RANDOM") =>
            {
                report(out, input, r.clone(), b"IDENTIFIED BY", None);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{pairs, run};
    use super::*;

    const MYSQL: &str = "-- MySQL dump 10.13  Distrib 8.0.36
/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
CREATE USER 'shop'@'%' IDENTIFIED BY 'Sh0p-Synth\\'etic-41';
CREATE USER IF NOT EXISTS 'report'@'10.0.%' IDENTIFIED WITH mysql_native_password BY 'Rpt-Synthetic-77';
GRANT SELECT ON shop.* TO 'legacy'@'localhost' IDENTIFIED BY PASSWORD '*3B1A7F0C2D9E8B6A5F4C3D2E1F0A9B8C7D6E5F4A';
SET PASSWORD FOR 'ops'@'localhost' = PASSWORD('Ops-Synthetic-12');
ALTER USER 'shop'@'%' IDENTIFIED BY RANDOM PASSWORD;
INSERT INTO `users` (`id`, `email`, `password`) VALUES (1,'a@synthetic.test','$2y$10$notreportedSynthetic');
UPDATE users SET password = 'not-an-account-Synthetic' WHERE id = 1;
";

    #[test]
    fn mysql_accounts() {
        assert_eq!(
            run(sql_dump, MYSQL),
            pairs(&[
                ("IDENTIFIED BY", "Sh0p-Synth\\'etic-41"),
                ("IDENTIFIED BY", "Rpt-Synthetic-77"),
                ("PASSWORD", "*3B1A7F0C2D9E8B6A5F4C3D2E1F0A9B8C7D6E5F4A"),
                ("PASSWORD", "Ops-Synthetic-12"),
            ])
        );
    }

    const PG: &str = "--
-- PostgreSQL database cluster dump
--
CREATE ROLE app;
ALTER ROLE app WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS PASSWORD 'SCRAM-SHA-256$4096:c3ludGhldGljc2FsdA==$c3ludGhldGljLXN0b3JlZC1rZXk=:c3ludGhldGljLXNlcnZlci1rZXk=';
CREATE USER reporting WITH ENCRYPTED PASSWORD 'md5a1b2c3d4e5f60718293a4b5c6d7e8f90' VALID UNTIL '2030-01-01';
CREATE FUNCTION f() RETURNS void AS $$ BEGIN PERFORM 1; END; $$ LANGUAGE plpgsql;
CREATE LOGIN etl WITH PASSWORD = 'Etl-Synthetic-5q', CHECK_POLICY = OFF;
CREATE USER scott IDENTIFIED BY Tiger_Synthetic_9;
";

    #[test]
    fn postgres_mssql_oracle_accounts() {
        assert_eq!(
            run(sql_dump, PG),
            pairs(&[
                (
                    "PASSWORD",
                    "SCRAM-SHA-256$4096:c3ludGhldGljc2FsdA==$c3ludGhldGljLXN0b3JlZC1rZXk=:c3ludGhldGljLXNlcnZlci1rZXk="
                ),
                ("PASSWORD", "md5a1b2c3d4e5f60718293a4b5c6d7e8f90"),
                ("PASSWORD", "Etl-Synthetic-5q"),
                ("IDENTIFIED BY", "Tiger_Synthetic_9"),
            ])
        );
    }

    #[test]
    fn sql_clean_twin() {
        let clean = "CREATE USER 'shop'@'%' IDENTIFIED BY '';
CREATE USER 'report'@'%' IDENTIFIED BY '${REPORT_PASSWORD}';
ALTER ROLE app WITH LOGIN PASSWORD NULL;
ALTER USER app PASSWORD EXPIRE;
CREATE USER scott IDENTIFIED EXTERNALLY;
CREATE ROLE reader NOLOGIN;
INSERT INTO users (name, password) VALUES ('a', 'Hash-Synthetic-1');
SELECT * FROM accounts WHERE password = 'Where-Synthetic-2';
";
        assert!(run(sql_dump, clean).is_empty());
    }
}
