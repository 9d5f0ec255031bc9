//! Line and column numbers, computed only for blobs that matched.
use bstr::ByteSlice;
use memchr::memchr_iter;

use keysnare_types::{Position, Span};

/// Maps byte offsets of one blob to 1-based lines and columns.
///
/// Built from one `memchr` pass over the blob (one `usize` per line); each lookup is a
/// binary search plus a count of the characters between the line start and the offset.
/// Lookups at increasing offsets on one long line reuse the previous count, so a 100 MB
/// line with many matches costs one pass, not one per match.
pub struct Locator<'a> {
    hay: &'a [u8],
    /// Offsets of every `\n`.
    newlines: Vec<usize>,
    /// The last lookup: (line start, offset, column).
    cursor: (usize, usize, usize),
}

impl<'a> Locator<'a> {
    /// Indexes the line breaks of `hay`.
    pub fn new(hay: &'a [u8]) -> Locator<'a> {
        Locator {
            hay,
            newlines: memchr_iter(b'\n', hay).collect(),
            cursor: (0, 0, 1),
        }
    }

    /// The line and column of byte `offset` (which may be `hay.len()`).
    pub fn position(&mut self, offset: usize) -> Position {
        let offset = offset.min(self.hay.len());
        let line_idx = self.newlines.partition_point(|&nl| nl < offset);
        let line_start = if line_idx == 0 {
            0
        } else {
            self.newlines[line_idx - 1] + 1
        };
        let (c_start, c_off, c_col) = self.cursor;
        let column = if c_start == line_start && c_off <= offset {
            c_col + count_chars(&self.hay[c_off..offset])
        } else {
            1 + count_chars(&self.hay[line_start..offset])
        };
        self.cursor = (line_start, offset, column);
        Position {
            line: line_idx + 1,
            column,
        }
    }

    /// The byte range of the line holding `offset`, without its `\n` or `\r\n`.
    pub fn line_span(&self, offset: usize) -> Span {
        let offset = offset.min(self.hay.len());
        let line_idx = self.newlines.partition_point(|&nl| nl < offset);
        let start = if line_idx == 0 {
            0
        } else {
            self.newlines[line_idx - 1] + 1
        };
        let mut end = self
            .newlines
            .get(line_idx)
            .copied()
            .unwrap_or(self.hay.len());
        if end > start && self.hay[end - 1] == b'\r' {
            end -= 1;
        }
        Span::new(start, end)
    }
}

/// Characters in `bytes`: each valid UTF-8 character, or each invalid sequence, counts one.
fn count_chars(bytes: &[u8]) -> usize {
    if bytes.is_ascii() {
        bytes.len()
    } else {
        bytes.chars().count()
    }
}

/// The text of the line holding the start of `secret`, cut to at most `reach` bytes on
/// each side of it. Returns the snippet and the part of it that is the secret (a secret
/// that goes on past the line is cut at the line's end).
pub fn line_snippet(
    locator: &Locator<'_>,
    hay: &[u8],
    secret: Span,
    reach: usize,
) -> (Vec<u8>, Span) {
    let line = locator.line_span(secret.start);
    let start = line.start.max(secret.start.saturating_sub(reach));
    let end = line
        .end
        .min(secret.end.saturating_add(reach))
        .max(secret.start);
    let in_line = Span::new(secret.start - start, secret.end.min(end) - start);
    (hay[start..end].to_vec(), in_line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_crlf_aware() {
        let hay = b"ab\r\ncd\nxyz";
        let mut l = Locator::new(hay);
        assert_eq!(l.position(0), Position { line: 1, column: 1 });
        assert_eq!(l.position(4), Position { line: 2, column: 1 });
        assert_eq!(l.position(5), Position { line: 2, column: 2 });
        assert_eq!(l.position(9), Position { line: 3, column: 3 });
        assert_eq!(l.position(2), Position { line: 1, column: 3 });
        assert_eq!(l.line_span(1), Span::new(0, 2));
        assert_eq!(l.line_span(7), Span::new(7, 10));
    }

    #[test]
    fn columns_count_characters() {
        let hay = "é = ABC".as_bytes();
        let mut l = Locator::new(hay);
        assert_eq!(l.position(5).column, 5);
        let hay = b"\xff\xfe = ABC";
        let mut l = Locator::new(hay);
        assert_eq!(l.position(5).column, 6);
    }

    #[test]
    fn snippets_are_cut_around_the_secret() {
        let hay = b"0123456789SECRET0123456789\nnext";
        let l = Locator::new(hay);
        let (s, at) = line_snippet(&l, hay, Span::new(10, 16), 3);
        assert_eq!(s, b"789SECRET012");
        assert_eq!(at, Span::new(3, 9));
        let (s, at) = line_snippet(&l, hay, Span::new(10, 16), 100);
        assert_eq!(s, b"0123456789SECRET0123456789");
        assert_eq!(at, Span::new(10, 16));
        // A secret running over the line's end is cut there.
        let (s, at) = line_snippet(&l, hay, Span::new(20, 30), 100);
        assert_eq!(s, b"0123456789SECRET0123456789");
        assert_eq!(at, Span::new(20, 26));
    }
}
