//! Text from scanned inputs made safe to print on a terminal.
use std::borrow::Cow;
use std::fmt::Write;

/// A path as messages name it: without a leading `./` (the current folder itself stays
/// `.`), control characters escaped with [`escape_control`] (a file name can hold escape
/// sequences and line breaks).
///
/// ```
/// use std::path::Path;
/// use keysnare_types::shown_path;
///
/// assert_eq!(shown_path(Path::new("./.keysnare.toml")), ".keysnare.toml");
/// assert_eq!(shown_path(Path::new(".")), ".");
/// assert_eq!(shown_path(Path::new("a\nb")), "a\\nb");
/// ```
pub fn shown_path(path: &std::path::Path) -> String {
    let path = match path.strip_prefix(".") {
        Ok(rest) if !rest.as_os_str().is_empty() => rest,
        // The current folder is `.`, not an empty name.
        _ => path,
    };
    escape_control(&path.to_string_lossy()).into_owned()
}

/// `text` with every control character escaped, for terminals and text reports: a file
/// name, a line or a commit message holding `ESC [ 2 J` must not clear the screen, recolour
/// the report or start a line that looks like keysnare's own.
///
/// Escaped: the C0 controls (`\t`, `\n`, `\r`, the others as `\x1b`), DEL (`\x7f`) and
/// the C1 controls U+0080 to U+009F (`\u{9b}`); everything else is kept as it is, so
/// printable text, backslashes included, comes back unchanged (and borrowed). The output
/// holds no control character, so escaping it again changes nothing.
///
/// ```
/// use keysnare_types::escape_control;
///
/// assert_eq!(escape_control("config/app.env"), "config/app.env");
/// assert_eq!(escape_control("a\u{1b}[2Jb\nc"), "a\\x1b[2Jb\\nc");
/// assert_eq!(escape_control("\u{9b}31m"), "\\u{9b}31m");
/// ```
///
/// Structured formats (JSON, SARIF) keep names exact instead: their serialisers escape
/// control characters themselves.
pub fn escape_control(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            // `char::is_control` is exactly C0, DEL and C1 (general category Cc).
            c if c.is_control() && u32::from(c) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_control_character_is_escaped_and_nothing_else() {
        for n in 0..=0x10ffffu32 {
            let Some(c) = char::from_u32(n) else {
                continue;
            };
            let text = c.to_string();
            let escaped = escape_control(&text);
            let control = n < 0x20 || (0x7f..=0x9f).contains(&n);
            if control {
                assert!(
                    escaped.starts_with('\\') && escaped.chars().all(|c| c.is_ascii_graphic()),
                    "U+{n:04X} -> {escaped:?}"
                );
            } else {
                assert_eq!(escaped, text, "U+{n:04X} is printable and kept");
                assert!(matches!(escaped, Cow::Borrowed(_)));
            }
        }
    }

    #[test]
    fn escapes_read_back_and_escaping_twice_changes_nothing() {
        let cases = [
            ("tab\there", "tab\\there"),
            ("two\r\nlines", "two\\r\\nlines"),
            ("\u{1b}]0;title\u{7}", "\\x1b]0;title\\x07"),
            ("del\u{7f}", "del\\x7f"),
            ("csi\u{9b}2J", "csi\\u{9b}2J"),
            ("back\\slash", "back\\slash"),
            ("naïve 日本", "naïve 日本"),
        ];
        for (raw, want) in cases {
            let once = escape_control(raw);
            assert_eq!(once, want);
            assert_eq!(escape_control(&once), once);
        }
    }
}
