//! Text from the network or from a message, made safe to print on a terminal.
//!
//! A message body, a display name, a node's error message or a probe's reason is not ours:
//! printed raw, an ESC could drive the terminal and a newline could start a line that looks
//! like sesh's own (a forged `from … at …` header). So every control character (C0, DEL and
//! C1), every bidirectional-text control and the Unicode line and paragraph separators are
//! shown as a visible escape: `\n`, `\r`, `\t`, `\u{1b}`, `\u{202e}`, … A backslash stays as it
//! is. In a message body, lines stay lines but each is indented (see [`body`]).

/// What a message body's lines start with: no body line can start at column 0, where sesh
/// puts its `from … at …` headers.
pub(crate) const INDENT: &str = "  ";

/// `s` on one line: every control character, newlines included, escaped.
pub(crate) fn line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_escaped(&mut out, s, false);
    out
}

/// A message body: each line (`\n` or `\r\n` ends one) indented by [`INDENT`] with its
/// control characters escaped, tabs kept; an empty line stays empty.
pub(crate) fn body(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for (i, l) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let l = l.strip_suffix('\r').unwrap_or(l);
        if !l.is_empty() {
            out.push_str(INDENT);
            push_escaped(&mut out, l, true);
        }
    }
    out
}

fn push_escaped(out: &mut String, s: &str, keep_tabs: bool) {
    for c in s.chars() {
        if c == '\t' && keep_tabs {
            out.push(c);
        } else if c.is_control() {
            out.extend(c.escape_default());
        } else if is_format_hazard(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
}

/// Characters that reorder or break a line without being control characters: the
/// bidirectional embeddings, overrides, isolates and marks, and the line and paragraph
/// separators.
fn is_format_hazard(c: char) -> bool {
    matches!(c,
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}'
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_escapes_newlines_escapes_and_c1() {
        assert_eq!(
            line("a\nb\r\u{1b}[31mc\u{9b}\u{7f}\td"),
            "a\\nb\\r\\u{1b}[31mc\\u{9b}\\u{7f}\\td"
        );
    }

    #[test]
    fn line_escapes_bidi_overrides_and_separators() {
        assert_eq!(line("x\u{202e}y\u{2028}z"), "x\\u{202e}y\\u{2028}z");
    }

    #[test]
    fn line_keeps_printable_text_and_backslashes() {
        assert_eq!(line("café \\n 😀"), "café \\n 😀");
    }

    #[test]
    fn body_indents_every_line_so_none_looks_like_a_header() {
        let forged = "hi\nfrom 05ab at 2026-01-01T00:00:00.000Z\r\nowned";
        assert_eq!(
            body(forged),
            "  hi\n  from 05ab at 2026-01-01T00:00:00.000Z\n  owned"
        );
        for l in body(forged).lines() {
            assert!(l.is_empty() || l.starts_with(INDENT), "{l:?}");
        }
    }

    #[test]
    fn body_keeps_tabs_and_empty_lines_escapes_the_rest() {
        assert_eq!(
            body("a\tb\n\nc\u{1b}]0;t\u{7}"),
            "  a\tb\n\n  c\\u{1b}]0;t\\u{7}"
        );
    }
}
