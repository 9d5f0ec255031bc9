//! Password files of Unix systems and web servers: Apache's `.htpasswd` and `/etc/shadow`.

use crate::Found;

use super::{lines, report};

/// `.htpasswd`: `user:hash` per line (bcrypt `$2y$`, `$apr1$` MD5, `{SHA}`, crypt, or plain
/// text on some platforms); `#` comments. The hash is reported: it is cracked offline
/// (<https://httpd.apache.org/docs/current/programs/htpasswd.html>). In an `.htdigest`
/// line (`user:realm:hash`) the last field is the hash.
pub(super) fn htpasswd(input: &[u8], out: &mut Vec<Found>) {
    for (start, line) in lines(input) {
        let t = line.trim_ascii();
        if t.is_empty() || t[0] == b'#' {
            continue;
        }
        let Some(colon) = memchr::memchr(b':', line) else {
            continue;
        };
        let user = line[..colon].trim_ascii();
        if user.is_empty() || user.iter().any(u8::is_ascii_whitespace) {
            continue;
        }
        let from = memchr::memrchr(b':', line).unwrap_or(colon) + 1;
        let range = super::trim(input, start + from..start + line.len());
        if input[range.clone()].iter().any(u8::is_ascii_whitespace) {
            continue;
        }
        report(out, input, range, b"password", None);
    }
}

/// `/etc/shadow`: `name:hash:lastchange:min:max:warn:inactive:expire:` per line; the hash
/// when it is one (`$id$…` or 13-character DES crypt), locked (`!hash`) or not, and not a
/// disabled or empty field (`*`, `!`, `!!`, `x`)
/// (<https://man7.org/linux/man-pages/man5/shadow.5.html>).
pub(super) fn shadow(input: &[u8], out: &mut Vec<Found>) {
    for (start, line) in lines(input) {
        if memchr::memchr_iter(b':', line).count() != 8 {
            continue;
        }
        let Some(c1) = memchr::memchr(b':', line) else {
            continue;
        };
        let Some(c2) = memchr::memchr(b':', &line[c1 + 1..]).map(|n| c1 + 1 + n) else {
            continue;
        };
        let mut from = c1 + 1;
        while from < c2 && line[from] == b'!' {
            from += 1;
        }
        let hash = &line[from..c2];
        if !is_crypt_hash(hash) {
            continue;
        }
        report(out, input, start + from..start + c2, b"password hash", None);
    }
}

/// Whether `h` has the shape of a crypt(3) hash: `$id$…` (at least one more `$`), or 13
/// characters of DES crypt's alphabet.
fn is_crypt_hash(h: &[u8]) -> bool {
    let alphabet = |b: &u8| b.is_ascii_alphanumeric() || *b == b'.' || *b == b'/';
    if let Some(rest) = h.strip_prefix(b"$") {
        let id_len = rest
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        return id_len > 0
            && rest.get(id_len) == Some(&b'$')
            && rest.len() > id_len + 8
            && !rest.iter().any(u8::is_ascii_whitespace);
    }
    h.len() == 13 && h.iter().all(alphabet)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{pairs, run};
    use super::*;

    const HTPASSWD: &str = "# managed by hand
admin:$apr1$Synth3ti$Qm4cXw0pVb8nR2tL6yZs1.
deploy:$2y$05$Synthetic0Salt0Value0uOq7mK3nB5vC8xZ1aS4dF6gH9jK2lP0e
legacy:{SHA}U3ludGhldGljLXNoYTEtZGlnZXN0PQ==
ops:ab01Synthetc
";

    #[test]
    fn htpasswd_hashes() {
        assert_eq!(
            run(htpasswd, HTPASSWD),
            pairs(&[
                ("password", "$apr1$Synth3ti$Qm4cXw0pVb8nR2tL6yZs1."),
                (
                    "password",
                    "$2y$05$Synthetic0Salt0Value0uOq7mK3nB5vC8xZ1aS4dF6gH9jK2lP0e"
                ),
                ("password", "{SHA}U3ludGhldGljLXNoYTEtZGlnZXN0PQ=="),
                ("password", "ab01Synthetc"),
            ])
        );
        let clean = "# no users yet\nadmin:\nuser name: with spaces\n";
        assert!(run(htpasswd, clean).is_empty());
    }

    const SHADOW: &str = "root:$6$Synth3ticSalt$Hk2l9Qm4cXw0pVb8nR2tL6yZs1aQ3eR5tY7uI9oP1aS3dF5gH7jK9lZ1xC3vB5nM7qW9eR1tY3uI5oP7aS9dF1g:19700:0:99999:7:::
daemon:*:19700:0:99999:7:::
bin:!:19700:0:99999:7:::
www-data:!!:19700::::::
sync:x:19700:0:99999:7:::
alice:!$y$j9T$Synth3ticSaltYesc$Qm4cXw0pVb8nR2tL6yZs1aQ3eR5tY7uI9oP1aS3dF5g:19800:0:99999:7:::
old:abJnggxhB/yWI:19000:0:99999:7:::
";

    #[test]
    fn shadow_hashes() {
        assert_eq!(
            run(shadow, SHADOW),
            pairs(&[
                (
                    "password hash",
                    "$6$Synth3ticSalt$Hk2l9Qm4cXw0pVb8nR2tL6yZs1aQ3eR5tY7uI9oP1aS3dF5gH7jK9lZ1xC3vB5nM7qW9eR1tY3uI5oP7aS9dF1g"
                ),
                (
                    "password hash",
                    "$y$j9T$Synth3ticSaltYesc$Qm4cXw0pVb8nR2tL6yZs1aQ3eR5tY7uI9oP1aS3dF5g"
                ),
                ("password hash", "abJnggxhB/yWI"),
            ])
        );
        let clean = "root:*:19700:0:99999:7:::\ndaemon:!:19700:0:99999:7:::\nnobody:!*:19700::::::\nsync:x:19700:0:99999:7:::\nguest::19700:0:99999:7:::\n";
        assert!(run(shadow, clean).is_empty());
    }
}
