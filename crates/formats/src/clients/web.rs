//! Web application settings: WordPress's `wp-config.php`, Django's `settings.py`, Rails'
//! `config/database.yml` and `config/secrets.yml`.

use std::ops::Range;

use crate::Found;

use super::{contains_ci, lines, quoted, report, yaml_line};

/// The constants of `wp-config.php` that hold secrets: the database password and the
/// authentication keys and salts
/// (<https://developer.wordpress.org/advanced-administration/wordpress/wp-config/>).
const WP_SECRETS: &[&[u8]] = &[
    b"DB_PASSWORD",
    b"AUTH_KEY",
    b"SECURE_AUTH_KEY",
    b"LOGGED_IN_KEY",
    b"NONCE_KEY",
    b"AUTH_SALT",
    b"SECURE_AUTH_SALT",
    b"LOGGED_IN_SALT",
    b"NONCE_SALT",
];

/// `define( 'DB_PASSWORD', '…' );` and the keys and salts, with a literal string value. The
/// sample file's placeholders (`password_here`, `put your unique phrase here`) are left
/// out.
pub(super) fn wp_config(input: &[u8], out: &mut Vec<Found>) {
    let finder = memchr::memmem::Finder::new(b"define");
    let mut pos = 0;
    while let Some(n) = finder.find(&input[pos..]) {
        let at = pos + n;
        pos = at + 6;
        if at > 0 && (input[at - 1].is_ascii_alphanumeric() || input[at - 1] == b'_') {
            continue;
        }
        let mut i = skip_ws(input, pos);
        if input.get(i) != Some(&b'(') {
            continue;
        }
        i = skip_ws(input, i + 1);
        let Some((name, e)) = php_string(input, i) else {
            pos = pos.max(line_end(input, i));
            continue;
        };
        i = skip_ws(input, e);
        if input.get(i) != Some(&b',') {
            continue;
        }
        i = skip_ws(input, i + 1);
        let Some((value, e)) = php_string(input, i) else {
            pos = pos.max(line_end(input, i));
            continue;
        };
        // Only a whole literal: not `'a' . getenv('B')`.
        let after = skip_ws(input, e);
        if !matches!(input.get(after), Some(b')' | b',')) {
            continue;
        }
        let name = &input[name];
        if !WP_SECRETS.contains(&name) {
            continue;
        }
        let v = &input[value.clone()];
        if v == b"password_here" || v == b"put your unique phrase here" {
            continue;
        }
        report(out, input, value, name, None);
        pos = e;
    }
}

/// Where the line holding offset `i` ends; a string that fails to parse there (unclosed)
/// is not read again.
fn line_end(input: &[u8], i: usize) -> usize {
    match input.get(i) {
        Some(b'\'' | b'"') => memchr::memchr(b'\n', &input[i..]).map_or(input.len(), |n| i + n),
        _ => i,
    }
}

fn skip_ws(input: &[u8], mut i: usize) -> usize {
    while input.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// A PHP string literal at `at` (`'…'` or `"…"` without `$` interpolation): its content and
/// the offset past it.
fn php_string(input: &[u8], at: usize) -> Option<(Range<usize>, usize)> {
    let q = *input.get(at)?;
    let (r, e) = quoted(input, at, true, false)?;
    if q == b'"' && memchr::memchr(b'$', &input[r.clone()]).is_some() {
        return None;
    }
    Some((r, e))
}

/// A Python string literal at `at` ending before `end` (the line's end), with an optional
/// `r`/`b`/`u` prefix (f-strings are not literals): its content and the offset past it.
fn py_string(input: &[u8], at: usize, end: usize) -> Option<(Range<usize>, usize)> {
    let mut i = at;
    let mut raw = false;
    while let Some(&c) = input.get(i) {
        match c {
            b'r' | b'R' => raw = true,
            b'b' | b'B' | b'u' | b'U' => {}
            _ => break,
        }
        if i - at >= 2 {
            return None;
        }
        i += 1;
    }
    let q = *input.get(i)?;
    if q != b'"' && q != b'\'' {
        return None;
    }
    let triple = [q, q, q];
    if input[i..].starts_with(&triple) {
        let body = i + 3;
        // On this line only: an unclosed quote must not make every later line search to
        // the end of the input.
        let hay = input.get(body..end)?;
        let close = memchr::memmem::find(hay, &triple)? + body;
        return Some((body..close, close + 3));
    }
    quoted(input, i, !raw, false)
}

/// Django's `settings.py`: `SECRET_KEY`, `EMAIL_HOST_PASSWORD` and the old
/// `DATABASE_PASSWORD` assigned a literal, or a literal default of `os.environ.get(…)`,
/// `os.getenv(…)`, `env(…, default=…)`; and every `'PASSWORD': '…'` of a settings dict
/// (`DATABASES`, `CACHES`)
/// (<https://docs.djangoproject.com/en/stable/ref/settings/#secret-key>).
pub(super) fn django_settings(input: &[u8], out: &mut Vec<Found>) {
    const NAMES: &[&[u8]] = &[b"SECRET_KEY", b"EMAIL_HOST_PASSWORD", b"DATABASE_PASSWORD"];
    for (start, line) in lines(input) {
        let ind = super::indent(line);
        let body = &line[ind..];
        if body.starts_with(b"#") {
            continue;
        }
        // `NAME = value`
        let name_len = body
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
        let name = &body[..name_len];
        if NAMES.contains(&name) {
            let i = skip_ws(line, ind + name_len);
            if line.get(i) == Some(&b'=') && line.get(i + 1) != Some(&b'=') {
                let v = skip_ws(line, i + 1);
                value_or_default(input, start + v, start + line.len(), name, out);
            }
        }
        let line_end = start + line.len();
        // `'PASSWORD': value` anywhere on the line.
        let mut k = 0;
        while let Some(n) = memchr::memmem::find(&line[k..], b"PASSWORD") {
            let at = k + n;
            k = at + 8;
            let q = at.checked_sub(1).and_then(|p| line.get(p)).copied();
            if !matches!(q, Some(b'\'' | b'"')) || line.get(at + 8).copied() != q {
                continue;
            }
            let c = skip_ws(line, at + 9);
            if line.get(c) != Some(&b':') {
                continue;
            }
            let v = skip_ws(line, c + 1);
            // Past what was read: each byte of a line is read once.
            let read = value_or_default(input, start + v, line_end, b"PASSWORD", out);
            k = k.max(read.min(line_end) - start);
        }
    }
}

/// Reports the literal at `at` (up to `end`, the line's end), or the literal default of an
/// environment lookup there; returns the offset up to which the line was read.
fn value_or_default(
    input: &[u8],
    at: usize,
    end: usize,
    name: &[u8],
    out: &mut Vec<Found>,
) -> usize {
    if let Some((r, e)) = py_string(input, at, end) {
        report(out, input, r, name, None);
        return e;
    }
    let line = &input[at..end];
    if line.iter().take(3).any(|&b| b == b'\'' || b == b'"') {
        // An unclosed string runs to the end of the line.
        return end;
    }
    const CALLS: &[&[u8]] = &[
        b"os.environ.get(",
        b"os.getenv(",
        b"env(",
        b"env.str(",
        b"config(",
    ];
    let call = CALLS.iter().find(|c| line.starts_with(c));
    let Some(call) = call else { return at };
    // The second literal argument, or the one after `default=`.
    let mut i = at + call.len();
    let mut literals = 0;
    while i < end {
        match input[i] {
            b')' => return i,
            b'd' if input[i..end].starts_with(b"default") => {
                let e = skip_ws(input, i + 7);
                if input.get(e) == Some(&b'=') {
                    let v = skip_ws(input, e + 1);
                    return match py_string(input, v, end) {
                        Some((r, e)) => {
                            report(out, input, r, name, None);
                            e
                        }
                        None => end,
                    };
                }
                i += 7;
            }
            b'\'' | b'"' => {
                let Some((r, e)) = py_string(input, i, end) else {
                    return end;
                };
                literals += 1;
                if literals == 2 {
                    report(out, input, r, name, None);
                    return e;
                }
                i = e;
            }
            _ => i += 1,
        }
    }
    end
}

/// Rails' `config/database.yml`: every `password:` with a literal value (ERB such as
/// `<%= ENV["DB_PASSWORD"] %>` is a reference)
/// (<https://guides.rubyonrails.org/configuring.html#configuring-a-database>).
pub(super) fn rails_database(input: &[u8], out: &mut Vec<Found>) {
    for (start, line) in lines(input) {
        if let Some(e) = yaml_line(input, start, line)
            && e.key == b"password"
            && let Some(v) = e.value
        {
            report(out, input, v, b"password", None);
        }
    }
}

/// Rails' `config/secrets.yml`: `secret_key_base` and every other key of an environment
/// whose name says it is a secret (`…_key`, `…_secret`, `…_token`, `…password`)
/// (<https://guides.rubyonrails.org/v5.1/security.html#custom-secrets>).
pub(super) fn rails_secrets(input: &[u8], out: &mut Vec<Found>) {
    for (start, line) in lines(input) {
        let Some(e) = yaml_line(input, start, line) else {
            continue;
        };
        let Some(v) = e.value else { continue };
        if e.indent == 0 {
            continue;
        }
        let k = e.key;
        let secret = k == b"secret_key_base"
            || ["key", "secret", "token", "password", "pass", "salt"]
                .iter()
                .any(|w| k.to_ascii_lowercase().ends_with(w.as_bytes()))
            || contains_ci(k, b"secret");
        if secret && !matches!(&input[v.clone()], b"true" | b"false") {
            report(out, input, v, k, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{pairs, run};
    use super::*;

    const WP: &str = r#"<?php
/**
 * The base configuration for WordPress
 */
define( 'DB_NAME', 'shop' );
define( 'DB_USER', 'shop' );
define( 'DB_PASSWORD', 'Wp-Synth\'etic-8842' );
define( 'DB_HOST', 'localhost' );
define('AUTH_KEY',         'k&9Q}Synthetic-auth-key-:W3p');
define('SECURE_AUTH_KEY',  "Synthetic-secure-auth-key-Xq2");
define('NONCE_SALT',       'Synthetic-nonce-salt-7Lm');
define( 'WP_DEBUG', false );
$table_prefix = 'wp_';
"#;

    #[test]
    fn wordpress_config() {
        assert_eq!(
            run(wp_config, WP),
            pairs(&[
                ("DB_PASSWORD", "Wp-Synth\\'etic-8842"),
                ("AUTH_KEY", "k&9Q}Synthetic-auth-key-:W3p"),
                ("SECURE_AUTH_KEY", "Synthetic-secure-auth-key-Xq2"),
                ("NONCE_SALT", "Synthetic-nonce-salt-7Lm"),
            ])
        );
    }

    #[test]
    fn wordpress_sample_is_clean() {
        let sample = r#"<?php
define( 'DB_NAME', 'database_name_here' );
define( 'DB_USER', 'username_here' );
define( 'DB_PASSWORD', 'password_here' );
define( 'AUTH_KEY',         'put your unique phrase here' );
define( 'SECURE_AUTH_KEY',  'put your unique phrase here' );
define( 'DB_PASSWORD', getenv('WORDPRESS_DB_PASSWORD') );
define( 'LOGGED_IN_KEY', "$logged_in_key" );
define( 'NONCE_KEY', '' );
"#;
        assert!(run(wp_config, sample).is_empty());
    }

    const DJANGO: &str = r#"from pathlib import Path
import os

# SECURITY WARNING: keep the secret key used in production secret!
SECRET_KEY = 'django-insecure-Synthetic(k3y)-v7#q2'

DATABASES = {
    'default': {
        'ENGINE': 'django.db.backends.postgresql',
        'NAME': 'shop',
        'USER': 'shop',
        "PASSWORD": "Dj-Synthetic-db-55",
        'HOST': 'localhost',
    },
    'replica': {'ENGINE': 'django.db.backends.postgresql', 'PASSWORD': r'Rep\Synthetic-2'},
}

EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "Mail-Synthetic-0p")
"#;

    #[test]
    fn django_settings_values() {
        assert_eq!(
            run(django_settings, DJANGO),
            pairs(&[
                ("SECRET_KEY", "django-insecure-Synthetic(k3y)-v7#q2"),
                ("PASSWORD", "Dj-Synthetic-db-55"),
                ("PASSWORD", "Rep\\Synthetic-2"),
                ("EMAIL_HOST_PASSWORD", "Mail-Synthetic-0p"),
            ])
        );
    }

    #[test]
    fn django_clean_twin() {
        let clean = r#"import os
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DATABASES = {
    'default': {
        'ENGINE': 'django.db.backends.postgresql',
        'PASSWORD': os.getenv('DB_PASSWORD'),
        'HOST': 'localhost',
    },
    'other': {'PASSWORD': ''},
}
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
if SECRET_KEY == 'x':
    pass
"#;
        assert!(run(django_settings, clean).is_empty());
    }

    const DATABASE_YML: &str = r#"default: &default
  adapter: postgresql
  encoding: unicode
  pool: <%= ENV.fetch("RAILS_MAX_THREADS") { 5 } %>
  username: shop
  password: <%= ENV["SHOP_DATABASE_PASSWORD"] %>

development:
  <<: *default
  database: shop_development
  password: Rails-Synthetic-dev-1 # local only

production:
  <<: *default
  database: shop_production
  password: "Rails-Synthetic-prod-2"
"#;

    #[test]
    fn rails_database_yml() {
        assert_eq!(
            run(rails_database, DATABASE_YML),
            pairs(&[
                ("password", "Rails-Synthetic-dev-1"),
                ("password", "Rails-Synthetic-prod-2"),
            ])
        );
        let clean = DATABASE_YML
            .replace("Rails-Synthetic-dev-1", "")
            .replace("Rails-Synthetic-prod-2", "<%= ENV['DB_PASSWORD'] %>");
        assert!(run(rails_database, &clean).is_empty());
    }

    const SECRETS_YML: &str = r#"# Be sure to restart your server when you modify this file.
development:
  secret_key_base: 6f1c3a9e0b2d4f7a8c5e1b3d9f0a2c4e6b8d0f1a3c5e7b9d1f3a5c7e9b0d2f4a6c8e0b2d4f6a8c0e
  stripe_publishable_key: pk-Synthetic-dev
  some_api_key: Api-Synthetic-77
  host: localhost

test:
  secret_key_base: 'Synthetic-test-base-0c1d'

production:
  secret_key_base: <%= ENV["SECRET_KEY_BASE"] %>
"#;

    #[test]
    fn rails_secrets_yml() {
        assert_eq!(
            run(rails_secrets, SECRETS_YML),
            pairs(&[
                (
                    "secret_key_base",
                    "6f1c3a9e0b2d4f7a8c5e1b3d9f0a2c4e6b8d0f1a3c5e7b9d1f3a5c7e9b0d2f4a6c8e0b2d4f6a8c0e"
                ),
                ("stripe_publishable_key", "pk-Synthetic-dev"),
                ("some_api_key", "Api-Synthetic-77"),
                ("secret_key_base", "Synthetic-test-base-0c1d"),
            ])
        );
        let clean = "development:\n  secret_key_base: <%= ENV['SECRET_KEY_BASE'] %>\n  some_api_key: ''\n  host: localhost\n";
        assert!(run(rails_secrets, clean).is_empty());
    }
}
