//! Compose files (`docker-compose.yml`, `compose.yaml`): the `environment:` (and build
//! `args:`) entries of a service whose name says it holds a secret (`MYSQL_ROOT_PASSWORD`,
//! `API_TOKEN`, `SECRET_KEY`…) with a literal value, as a map (`KEY: value`) or a list
//! (`- KEY=value`), block or flow style
//! (<https://docs.docker.com/reference/compose-file/services/#environment>).

use std::ops::Range;

use crate::Found;

use super::{indent, lines, quoted, report, trim, yaml_line};

pub(super) fn docker_compose(input: &[u8], out: &mut Vec<Found>) {
    // The indentation of the `environment:` key whose block the lines are in.
    let mut block: Option<usize> = None;
    for (start, line) in lines(input) {
        let ind = indent(line);
        let body = &line[ind..];
        if body.is_empty() || body[0] == b'#' {
            continue;
        }
        if let Some(b) = block {
            let item = body[0] == b'-';
            if ind > b || (ind == b && item) {
                if item {
                    list_item(input, start + ind + 1, start + line.len(), out);
                } else if let Some(e) = yaml_line(input, start, line)
                    && let Some(v) = e.value
                {
                    entry(input, e.key, v, out);
                }
                continue;
            }
            block = None;
        }
        let Some(e) = yaml_line(input, start, line) else {
            continue;
        };
        if e.key != b"environment" && e.key != b"args" {
            continue;
        }
        // What follows the colon: nothing (or an anchor) opens a block; `{…}` / `[…]` are
        // flow collections on this line.
        let colon = body
            .iter()
            .position(|&b| b == b':')
            .map_or(line.len(), |c| ind + c + 1);
        let rest = trim(input, start + colon..start + line.len());
        match input.get(rest.start) {
            _ if rest.is_empty() => block = Some(e.indent),
            Some(b'&' | b'#') => block = Some(e.indent),
            Some(b'{') => flow(input, rest.start + 1, rest.end, false, out),
            Some(b'[') => flow(input, rest.start + 1, rest.end, true, out),
            _ => {}
        }
    }
}

/// A list item's text from `from` (just past the dash) to `to`: `KEY=value`, possibly
/// quoted.
fn list_item(input: &[u8], from: usize, to: usize, out: &mut Vec<Found>) {
    let item = trim(input, from..to);
    let item = match input.get(item.start) {
        Some(b'"') => quoted(input, item.start, true, false).map(|(r, _)| r),
        Some(b'\'') => quoted(input, item.start, false, true).map(|(r, _)| r),
        _ => Some(strip_comment(input, item)),
    };
    let Some(item) = item else { return };
    let Some(eq) = memchr::memchr(b'=', &input[item.clone()]) else {
        return;
    };
    let key = input[item.start..item.start + eq].trim_ascii();
    entry(input, key, trim(input, item.start + eq + 1..item.end), out);
}

/// `span` without a trailing ` # comment`.
fn strip_comment(input: &[u8], span: Range<usize>) -> Range<usize> {
    let mut e = span.start;
    while e < span.end && !(input[e] == b'#' && e > span.start && input[e - 1] == b' ') {
        e += 1;
    }
    trim(input, span.start..e)
}

/// A flow collection's entries, `{A: b, C: d}` or `[A=b, "C=d"]`, in `input[from..to]`.
fn flow(input: &[u8], from: usize, to: usize, list: bool, out: &mut Vec<Found>) {
    let mut s = from;
    let mut i = from;
    while i <= to {
        let at_end = i == to || matches!(input.get(i), Some(b',' | b']' | b'}'));
        if let Some(q @ (b'"' | b'\'')) = input.get(i).copied().filter(|_| i < to) {
            i = quoted(input, i, q == b'"', q == b'\'').map_or(to, |(_, e)| e);
            continue;
        }
        if at_end {
            let part = trim(input, s..i);
            if list {
                list_item(input, part.start, part.end, out);
            } else if let Some(c) = memchr::memchr(b':', &input[part.clone()]) {
                let key = unquote(input, trim(input, part.start..part.start + c));
                let value = unquote(input, trim(input, part.start + c + 1..part.end));
                entry(input, &input[key], value, out);
            }
            if i == to || matches!(input.get(i), Some(b']' | b'}')) {
                return;
            }
            s = i + 1;
        }
        i += 1;
    }
}

/// `span` without one pair of quotes around it.
fn unquote(input: &[u8], span: Range<usize>) -> Range<usize> {
    match input.get(span.clone()) {
        Some([q @ (b'"' | b'\''), .., last]) if q == last => span.start + 1..span.end - 1,
        _ => span,
    }
}

/// Reports `value` when `key` names a secret and the value is a literal.
fn entry(input: &[u8], key: &[u8], value: Range<usize>, out: &mut Vec<Found>) {
    if !is_secret_name(key) {
        return;
    }
    let v = input[value.clone()].to_ascii_lowercase();
    if matches!(
        v.as_slice(),
        b"true" | b"false" | b"yes" | b"no" | b"on" | b"off" | b"1" | b"0" | b"~"
    ) {
        return;
    }
    report(out, input, value, key, None);
}

/// Whether an environment variable's name says it holds a secret: a `PASSWORD`, `SECRET`,
/// `TOKEN`… part, or a final `KEY`, and not a name for something about the secret (its
/// file, length, user…).
pub(super) fn is_secret_name(key: &[u8]) -> bool {
    let up = key.to_ascii_uppercase();
    let parts: Vec<&[u8]> = up
        .split(|b| !b.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .collect();
    let Some(&last) = parts.last() else {
        return false;
    };
    const NOT: &[&[u8]] = &[
        b"FILE",
        b"PATH",
        b"DIR",
        b"NAME",
        b"USER",
        b"USERNAME",
        b"ID",
        b"HOST",
        b"PORT",
        b"ENABLED",
        b"TYPE",
        b"LENGTH",
        b"TTL",
        b"EXPIRY",
        b"EXPIRES",
        b"TIMEOUT",
        b"HEADER",
        b"ALGORITHM",
        b"METHOD",
        b"MODE",
        b"POLICY",
        b"FIELD",
        b"URL",
        b"URI",
        b"ENDPOINT",
        b"LOCATION",
        b"SIZE",
        b"COUNT",
        b"VERSION",
        b"PREFIX",
        b"REQUIRED",
        b"ENV",
    ];
    if NOT.contains(&last) {
        return false;
    }
    const WORDS: &[&[u8]] = &[
        b"PASSWORD",
        b"PASSWD",
        b"PASS",
        b"PWD",
        b"SECRET",
        b"TOKEN",
        b"APIKEY",
        b"PRIVATEKEY",
        b"SECRETKEY",
        b"ACCESSKEY",
        b"CREDENTIALS",
        b"PASSPHRASE",
    ];
    last == b"KEY"
        || parts.iter().any(|p| {
            WORDS.contains(p)
                || p.ends_with(b"PASSWORD")
                || p.ends_with(b"SECRET")
                || p.ends_with(b"TOKEN")
        })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{pairs, run};
    use super::*;

    const COMPOSE: &str = r#"services:
  db:
    image: mysql:8.4
    environment:
      MYSQL_DATABASE: shop
      MYSQL_USER: shop
      MYSQL_PASSWORD: "Sh0p-Synthetic-41"
      MYSQL_ROOT_PASSWORD: R00t-Synthetic-92   # local only
      MYSQL_ALLOW_EMPTY_PASSWORD: "no"
  pg:
    image: postgres:16
    environment:
    - POSTGRES_USER=app
    - POSTGRES_PASSWORD=Pg-Synthetic-7x2
    - "PGADMIN_DEFAULT_PASSWORD=Adm-Synthetic-3k"
    - POSTGRES_PASSWORD_FILE=/run/secrets/pg
  api:
    build:
      context: .
      args:
        - NPM_TOKEN=npm-Synthetic-Tok-55
    environment: { JWT_SECRET: "Jwt-Synthetic-88", LOG_LEVEL: debug }
  worker:
    environment: [ "SECRET_KEY_BASE=Skb-Synthetic-19", RAILS_ENV=production ]
  cache:
    image: redis
    command: redis-server --requirepass x
"#;

    #[test]
    fn compose_environment() {
        assert_eq!(
            run(docker_compose, COMPOSE),
            pairs(&[
                ("MYSQL_PASSWORD", "Sh0p-Synthetic-41"),
                ("MYSQL_ROOT_PASSWORD", "R00t-Synthetic-92"),
                ("POSTGRES_PASSWORD", "Pg-Synthetic-7x2"),
                ("PGADMIN_DEFAULT_PASSWORD", "Adm-Synthetic-3k"),
                ("NPM_TOKEN", "npm-Synthetic-Tok-55"),
                ("JWT_SECRET", "Jwt-Synthetic-88"),
                ("SECRET_KEY_BASE", "Skb-Synthetic-19"),
            ])
        );
    }

    #[test]
    fn compose_clean_twin() {
        let clean = r#"services:
  db:
    image: mysql:8.4
    environment:
      MYSQL_DATABASE: shop
      MYSQL_PASSWORD: ${MYSQL_PASSWORD}
      MYSQL_ROOT_PASSWORD: "${MYSQL_ROOT_PASSWORD:?set it}"
      MYSQL_RANDOM_ROOT_PASSWORD: "yes"
  pg:
    environment:
    - POSTGRES_PASSWORD
    - POSTGRES_PASSWORD_FILE=/run/secrets/pg
    - API_TOKEN=
  api:
    environment: { JWT_SECRET: "${JWT_SECRET}", LOG_LEVEL: debug }
    env_file: .env
secrets:
  pg:
    file: ./pg_password.txt
"#;
        assert!(run(docker_compose, clean).is_empty());
    }

    #[test]
    fn secret_names() {
        for k in [
            "MYSQL_ROOT_PASSWORD",
            "API_KEY",
            "GITHUB_TOKEN",
            "DJANGO_SECRET_KEY",
            "DBPASSWORD",
        ] {
            assert!(is_secret_name(k.as_bytes()), "{k}");
        }
        for k in [
            "POSTGRES_PASSWORD_FILE",
            "KEYCLOAK_HOSTNAME",
            "AWS_ACCESS_KEY_ID",
            "TOKEN_TTL",
            "MONKEY",
        ] {
            assert!(!is_secret_name(k.as_bytes()), "{k}");
        }
    }
}
