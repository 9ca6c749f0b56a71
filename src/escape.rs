//! Escaping text for HTML and XML: one implementation for the renderer, the
//! templates, the feeds and the live-preview overlay.

/// Escape text for HTML element content and attribute values: `& < > " '`.
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escape text for XML element content and attribute values, dropping the
/// characters XML 1.0 does not allow at all (C0 controls other than tab and
/// line ends, U+FFFE, U+FFFF).
pub fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 10);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn html_escapes_markup_and_quotes() {
        assert_eq!(super::html("<a href=\"x\">Tom's & Jerry</a>"), "&lt;a href=&quot;x&quot;&gt;Tom&#39;s &amp; Jerry&lt;/a&gt;");
    }

    #[test]
    fn xml_escapes_and_drops_forbidden_characters() {
        assert_eq!(super::xml("a<b>&\"c'\u{1}\u{b}d\te"), "a&lt;b&gt;&amp;&quot;c&apos;d\te");
        assert_eq!(super::xml("]]>"), "]]&gt;");
    }
}
