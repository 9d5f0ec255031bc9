//! Credential stores and the configuration files of command-line clients and package
//! managers: `.git-credentials`, `.netrc`, `.pgpass`, Docker's `config.json`, kubeconfig...

use crate::Found;
use crate::util::is_no_value;

/// The parsers of this module, by name.
pub(crate) const PARSERS: &[(&str, fn(&[u8], &mut Vec<Found>))] = &[("pgpass", pgpass)];

/// PostgreSQL's password file: `hostname:port:database:username:password` per line, `#`
/// comments, `\:` and `\\` escapes
/// (<https://www.postgresql.org/docs/current/libpq-pgpass.html>).
fn pgpass(input: &[u8], out: &mut Vec<Found>) {
    let mut start = 0;
    for line in input.split(|&b| b == b'\n') {
        let line_start = start;
        start += line.len() + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
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
        let value = &line[from..];
        if is_no_value(value) {
            continue;
        }
        out.push(Found {
            span: line_start + from..line_start + line.len(),
            field: "password".to_string(),
            decoded: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(f: fn(&[u8], &mut Vec<Found>), input: &str) -> Vec<String> {
        let mut out = Vec::new();
        f(input.as_bytes(), &mut out);
        out.iter()
            .map(|x| input[x.span.clone()].to_string())
            .collect()
    }

    #[test]
    fn pgpass_lines() {
        let file = "# local dev\n*:*:*:postgres:Xk29-pLm4\ndb.internal:5432:orders:app:a\\:b\\\\c\r\nbad line\nh:1:d:u:\nh:1:d:u:${PGPASSWORD}\n";
        assert_eq!(run(pgpass, file), ["Xk29-pLm4", "a\\:b\\\\c"]);
    }
}
