//! PuTTY private key files (`.ppk`, format versions 2 and 3,
//! <https://the.earth.li/~sgtatham/putty/latest/htmldoc/AppendixC.html>):
//!
//! ```text
//! PuTTY-User-Key-File-3: ssh-ed25519
//! Encryption: none
//! Comment: …
//! Public-Lines: 2
//! <base64 lines>
//! Private-Lines: 1
//! <base64 lines>
//! Private-MAC: <hex>
//! ```
//!
//! The `Private-Lines` block is the private key: in the clear with `Encryption: none`,
//! passphrase-encrypted with `Encryption: aes256-cbc`. Keys are found wherever their first
//! line is (several in one input, indented in a YAML or source file).

use crate::Found;

use super::report;

const MAGIC: &[u8] = b"PuTTY-User-Key-File-";
/// More private lines than any key has (a 16384-bit RSA key needs about 60).
const MAX_LINES: usize = 4096;

/// Keys with `Encryption: none`.
pub(super) fn unencrypted(input: &[u8], out: &mut Vec<Found>) {
    scan(input, out, false);
}

/// Keys encrypted with a passphrase.
pub(super) fn encrypted(input: &[u8], out: &mut Vec<Found>) {
    scan(input, out, true);
}

fn scan(input: &[u8], out: &mut Vec<Found>, want_encrypted: bool) {
    let finder = memchr::memmem::Finder::new(MAGIC);
    let mut pos = 0;
    while let Some(n) = finder.find(input.get(pos..).unwrap_or_default()) {
        let start = pos + n;
        pos = key(input, start, want_encrypted, out).max(start + MAGIC.len());
    }
}

/// The line starting at `at`, trimmed of whitespace at both ends, and the start of the
/// next line.
fn line_at(input: &[u8], at: usize) -> (std::ops::Range<usize>, usize) {
    let end = memchr::memchr(b'\n', &input[at..]).map_or(input.len(), |n| at + n);
    (super::trim(input, at..end), end + 1)
}

/// Reads the key whose first line starts at `start`; returns where reading stopped.
fn key(input: &[u8], start: usize, want_encrypted: bool, out: &mut Vec<Found>) -> usize {
    let (first, mut next) = line_at(input, start);
    // `PuTTY-User-Key-File-<version>: <algorithm>`
    let head = &input[first];
    let Some(rest) = head.get(MAGIC.len()..) else {
        return next;
    };
    if !(rest.first().is_some_and(u8::is_ascii_digit) && rest.get(1) == Some(&b':')) {
        return next;
    }
    let mut encryption: Option<bool> = None;
    while next < input.len() {
        let (line, after) = line_at(input, next);
        let text = &input[line.clone()];
        if text.starts_with(MAGIC) {
            return next;
        }
        let Some(colon) = memchr::memchr(b':', text) else {
            return next;
        };
        let (name, value) = (&text[..colon], text[colon + 1..].trim_ascii());
        next = after;
        match name {
            b"Encryption" => encryption = Some(value != b"none"),
            b"Public-Lines" | b"Private-Lines" => {
                let count = count(value);
                let (block, end) = lines_block(input, next, count);
                next = end;
                if name == b"Private-Lines" {
                    if let (Some(enc), Some(block)) = (encryption, block)
                        && enc == want_encrypted
                    {
                        report(out, input, block, b"Private-Lines", None);
                    }
                    return next;
                }
            }
            _ => {}
        }
    }
    next
}

/// A line count (`Public-Lines: 2`), capped.
fn count(value: &[u8]) -> usize {
    if value.is_empty() || value.len() > 6 || !value.iter().all(u8::is_ascii_digit) {
        return 0;
    }
    value
        .iter()
        .fold(0usize, |n, &d| n * 10 + usize::from(d - b'0'))
        .min(MAX_LINES)
}

/// The range from the first to the last of the `count` base64 lines starting at `at` (fewer
/// when a line is not base64), and where the next line starts.
fn lines_block(
    input: &[u8],
    mut at: usize,
    count: usize,
) -> (Option<std::ops::Range<usize>>, usize) {
    let mut block: Option<std::ops::Range<usize>> = None;
    for _ in 0..count {
        if at >= input.len() {
            break;
        }
        let (line, after) = line_at(input, at);
        let text = &input[line.clone()];
        if text.is_empty()
            || !text
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        {
            break;
        }
        block = Some(block.map_or(line.clone(), |b| b.start..line.end));
        at = after;
    }
    (block, at)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{pairs, run};
    use super::*;

    const V3_PLAIN: &str = "PuTTY-User-Key-File-3: ssh-ed25519\r
Encryption: none\r
Comment: build@ci-synthetic\r
Public-Lines: 2\r
uZcni3aR0YyGaTCVFJaP+JbLua2ooO0cC/MWEOnuAOoxLI27pDiDSALcCE3ER+gX\r
imA7q0SNcgrYSDP2BAbvGcozwJZIhADnWh6GKj6dcbUdyM7ej/0sr9G/8EWHMcl4\r
Private-Lines: 1\r
+s5L+Kd0RNiZI8u9L6Vyi5QlQJnoY7i2fOL60jEbIxVK1Tr5FA9tXUtoWnYnkQU5\r
Private-MAC: f4f02d6f3bf4bf82ba905bdeb8e5a34fb3adaf8c32166df1bf4bc971daeed901\r
";

    const V2_ENCRYPTED: &str = "PuTTY-User-Key-File-2: ssh-rsa
Encryption: aes256-cbc
Comment: rsa-key-synthetic
Public-Lines: 1
imA7q0SNcgrYSDP2BAbvGcozwJZIhADnWh6GKj6dcbUdyM7ej/0sr9G/8EWHMcl4
Private-Lines: 2
IQHxNYB776U8vx6mycD1iw5BrVqAQ5zDIr86Z7bZS6O9rIn8GFHoNiSzEL5NGvSV
6rJCnXm7La34mQw4G91yDKjlm3k=
Private-MAC: f7fcea1ce84c8d3b5231de5da0028f7858f94346
";

    const V3_ARGON: &str = "PuTTY-User-Key-File-3: ecdsa-sha2-nistp256
Encryption: aes256-cbc
Comment: laptop-synthetic
Public-Lines: 1
uZcni3aR0YyGaTCVFJaP+JbLua2ooO0cC/MWEOnuAOoxLI27pDiDSALcCE3ER+gX
Key-Derivation: Argon2id
Argon2-Memory: 8192
Argon2-Passes: 13
Argon2-Parallelism: 1
Argon2-Salt: 3bf67d2af4b7275dac8dde7f33659716
Private-Lines: 1
6rJCnXm7La34mQw4G91yDKjlm3k=
Private-MAC: f4f02d6f3bf4bf82ba905bdeb8e5a34fb3adaf8c32166df1bf4bc971daeed901
";

    #[test]
    fn unencrypted_key_private_lines() {
        assert_eq!(
            run(unencrypted, V3_PLAIN),
            pairs(&[(
                "Private-Lines",
                "+s5L+Kd0RNiZI8u9L6Vyi5QlQJnoY7i2fOL60jEbIxVK1Tr5FA9tXUtoWnYnkQU5"
            )])
        );
        assert!(run(encrypted, V3_PLAIN).is_empty());
    }

    #[test]
    fn encrypted_keys_v2_and_v3() {
        let both = format!("{V2_ENCRYPTED}{V3_ARGON}");
        assert_eq!(
            run(encrypted, &both),
            pairs(&[
                (
                    "Private-Lines",
                    "IQHxNYB776U8vx6mycD1iw5BrVqAQ5zDIr86Z7bZS6O9rIn8GFHoNiSzEL5NGvSV\n6rJCnXm7La34mQw4G91yDKjlm3k="
                ),
                ("Private-Lines", "6rJCnXm7La34mQw4G91yDKjlm3k="),
            ])
        );
        assert!(run(unencrypted, &both).is_empty());
    }

    #[test]
    fn indented_key_in_yaml() {
        let yaml = format!(
            "deploy:\n  key: |\n{}",
            V3_PLAIN
                .lines()
                .map(|l| format!("    {l}\n"))
                .collect::<String>()
        );
        assert_eq!(run(unencrypted, &yaml).len(), 1);
    }

    #[test]
    fn clean_twins() {
        // A key without a private block, a mention in prose, a truncated header.
        let no_private = V3_PLAIN.split("Private-Lines").next().unwrap_or_default();
        for clean in [
            no_private,
            "Save the key as PuTTY-User-Key-File-3 with Encryption: none.\n",
            "PuTTY-User-Key-File-3: ssh-ed25519\nComment: x\nPrivate-Lines: 1\nAAAA\n",
            "PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nPrivate-Lines: 1\n<private key here>\n",
        ] {
            assert!(run(unencrypted, clean).is_empty(), "{clean}");
            assert!(run(encrypted, clean).is_empty(), "{clean}");
        }
    }
}
