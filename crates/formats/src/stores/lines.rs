//! Files of one entry per line or of whitespace-separated tokens: `.pgpass`, `.netrc`,
//! `.git-credentials`.

use crate::Found;
use crate::util::{lines, report, url_userinfo};

/// PostgreSQL's password file: `hostname:port:database:username:password` per line, `#`
/// comments, `\:` and `\\` escapes
/// (<https://www.postgresql.org/docs/current/libpq-pgpass.html>).
pub(super) fn pgpass(input: &[u8], out: &mut Vec<Found>) {
    for (line_start, line) in lines(input) {
        if line.trim_ascii_start().starts_with(b"#") {
            continue;
        }
        // The fifth field starts after the fourth unescaped colon and runs to the end.
        let mut colons = 0;
        let mut i = 0;
        let mut field5 = None;
        while i < line.len() {
            match line[i] {
                b'\\' => i += 1,
                b':' => {
                    colons += 1;
                    if colons == 4 {
                        field5 = Some(i + 1);
                        break;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        let Some(from) = field5 else { continue };
        report(
            out,
            input,
            line_start + from..line_start + line.len(),
            b"password",
            None,
        );
    }
}

/// The `.netrc` (`_netrc` on Windows) of ftp, curl, git and Heroku's CLI: tokens separated
/// by any whitespace, `machine NAME` or `default` followed by `login NAME`, `password
/// STRING` and `account STRING` (an additional password); `macdef NAME` starts a macro
/// whose body runs to the next empty line; `#` starts a comment line; curl's quoted tokens
/// (`"a b\"c"`) are read (<https://www.gnu.org/software/inetutils/manual/html_node/The-_002enetrc-file.html>,
/// <https://everything.curl.dev/usingcurl/netrc.html>).
pub(super) fn netrc(input: &[u8], out: &mut Vec<Found>) {
    let n = input.len();
    let mut i = 0;
    // The keyword whose value the next token is.
    let mut expect: Option<&[u8]> = None;
    let mut line_start = true;
    // The last `login` value: a token when the password is GitHub's dummy `x-oauth-basic`,
    // and no credential follows an anonymous FTP login.
    let mut login: Option<std::ops::Range<usize>> = None;
    while i < n {
        let b = input[i];
        if b == b'\n' {
            line_start = true;
            i += 1;
            continue;
        }
        if b.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        // A token: quoted, or up to the next whitespace.
        let (span, next) = if b == b'"' {
            let s = i + 1;
            let mut j = s;
            while j < n && input[j] != b'"' {
                j += if input[j] == b'\\' { 2 } else { 1 };
            }
            (s..j.min(n), (j + 1).min(n))
        } else {
            let e = input[i..]
                .iter()
                .position(u8::is_ascii_whitespace)
                .map_or(n, |p| i + p);
            (i..e, e)
        };
        let token = &input[span.clone()];
        let first = line_start;
        line_start = false;
        i = next;
        if let Some(keyword) = expect.take() {
            match keyword {
                b"login" => login = Some(span),
                b"machine" => login = None,
                b"password" if token == b"x-oauth-basic" => {
                    if let Some(l) = login.take() {
                        report(out, input, l, b"login", None);
                    }
                }
                b"password" | b"account" => {
                    let anonymous = login
                        .as_ref()
                        .is_some_and(|l| matches!(&input[l.clone()], b"anonymous" | b"ftp"));
                    if !anonymous {
                        report(out, input, span, keyword, None);
                    }
                }
                b"macdef" => {
                    // The body: from the next line to the first empty line.
                    let mut at = memchr::memchr(b'\n', &input[i..]).map_or(n, |p| i + p + 1);
                    while at < n {
                        let end = memchr::memchr(b'\n', &input[at..]).map_or(n, |p| at + p);
                        let empty = input[at..end].iter().all(|&b| b == b'\r');
                        at = end + 1;
                        if empty {
                            break;
                        }
                    }
                    i = at;
                    line_start = true;
                }
                _ => {}
            }
            continue;
        }
        match token {
            b"machine" | b"login" | b"password" | b"account" | b"macdef" => {
                expect = Some(match token {
                    b"machine" => b"machine",
                    b"login" => b"login",
                    b"password" => b"password",
                    b"account" => b"account",
                    _ => b"macdef",
                });
            }
            [b'#', ..] if first => {
                i = memchr::memchr(b'\n', &input[i.min(n)..]).map_or(n, |p| i + p);
            }
            _ => {}
        }
    }
}

/// Git's `store` credential helper file: one URL per line,
/// `https://user:password@host[/path]`, user and password percent-encoded
/// (<https://git-scm.com/docs/git-credential-store#_storage_format>).
pub(super) fn git_credentials(input: &[u8], out: &mut Vec<Found>) {
    for (start, line) in lines(input) {
        let t = line.trim_ascii();
        if t.is_empty() || t[0] == b'#' {
            continue;
        }
        if let Some((password, user)) = url_userinfo(input, start..start + line.len()) {
            // GitHub's token-as-user form: the password is a fixed dummy.
            if &input[password.clone()] == b"x-oauth-basic" {
                report(out, input, user, b"username", None);
            } else {
                report(out, input, password, b"password", None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stores::{run, want};

    #[test]
    fn pgpass_lines() {
        let file = "# local dev\n*:*:*:postgres:Xk29-pLm4\ndb.internal:5432:orders:app:a\\:b\\\\c\r\nbad line\nh:1:d:u:\nh:1:d:u:${PGPASSWORD}\n";
        assert_eq!(
            run(pgpass, file),
            want(&[
                ("password", "Xk29-pLm4", None),
                ("password", "a\\:b\\\\c", None)
            ])
        );
    }

    #[test]
    fn pgpass_clean() {
        let file = "# hostname:port:database:username:password\n*:*:*:postgres:\ndb:5432:*:app:${PGPASSWORD}\n";
        assert!(run(pgpass, file).is_empty());
    }

    const NETRC: &str = "\
# work machines\r
machine ftp.build.internal\r
login deploy\r
password Xk29-pLm4\r
\r
machine api.heroku.com\n  login dev@corp.test\n  password 0f3c9a1e-5b7d-4c2e-9a8f-s3cr3tSynth7\n\
machine git.corp.test login ci password \"q w\\\"e-Synthetic-7\" account acct-Pw-9\n\
macdef init\n\
password notapassword-in-a-macro\n\
prompt\n\
\n\
default login anonymous password guest@corp.test\n\
machine github.com login ghSynthTok3n-Xk29pLm4 password x-oauth-basic\n\
machine files.corp.test login ops password Zq8-wV3m\n";

    #[test]
    fn netrc_tokens() {
        assert_eq!(
            run(netrc, NETRC),
            want(&[
                ("password", "Xk29-pLm4", None),
                ("password", "0f3c9a1e-5b7d-4c2e-9a8f-s3cr3tSynth7", None),
                ("password", "q w\\\"e-Synthetic-7", None),
                ("account", "acct-Pw-9", None),
                ("login", "ghSynthTok3n-Xk29pLm4", None),
                ("password", "Zq8-wV3m", None),
            ])
        );
    }

    #[test]
    fn netrc_clean() {
        let file = "# machine h login u password p\nmachine ftp.build.internal\n login deploy\n password ${FTP_PASSWORD}\nmachine api.heroku.com login dev@corp.test password \"\"\nmachine h login u password <password>\ndefault login anonymous\n";
        assert!(run(netrc, file).is_empty(), "{:?}", run(netrc, file));
    }

    #[test]
    fn git_credentials_urls() {
        let file = "https://octo-dev:Xk29-pLm4@github.com\nhttps://oauth2:glSynthetic7Tok3n@gitlab.corp.test:8443/group\r\nhttp://u%40corp:p%3Aw-Synth-9@git.corp.test/\nhttps://ghSynthTok3n-Xk29pLm4:x-oauth-basic@github.com\n";
        assert_eq!(
            run(git_credentials, file),
            want(&[
                ("password", "Xk29-pLm4", None),
                ("password", "glSynthetic7Tok3n", None),
                ("password", "p%3Aw-Synth-9", None),
                ("username", "ghSynthTok3n-Xk29pLm4", None),
            ])
        );
    }

    #[test]
    fn git_credentials_clean() {
        let file = "https://github.com\nhttps://octo-dev@github.com\nhttps://octo-dev:@github.com\nhttps://octo-dev:${GIT_TOKEN}@github.com\n";
        assert!(run(git_credentials, file).is_empty());
    }
}
