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

/// The byte ranges of the merge tags of mail services in `text`: `{{ … }}`
/// (listmonk, Brevo, SendGrid), `{% … %}`, `*|…|*` (Mailchimp), `<%…%>`,
/// `%%…%%`, `[[…]]` and `%name%` (Mailgun). A service replaces them when it
/// sends, so gen writes them exactly as given.
pub fn merge_tags(text: &str) -> Vec<std::ops::Range<usize>> {
    const PAIRS: [(&str, &str); 6] = [("{{", "}}"), ("{%", "%}"), ("*|", "|*"), ("<%", "%>"), ("%%", "%%"), ("[[", "]]")];
    let mut spans = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let found = PAIRS.iter().find_map(|(open, close)| {
            let body = rest.strip_prefix(open)?;
            let end = body.find(close)?;
            Some(open.len() + end + close.len())
        });
        let found = found.or_else(|| {
            let body = rest.strip_prefix('%')?;
            let end = body.find('%')?;
            let name = &body[..end];
            (name.len() >= 3 && name.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_')).then_some(end + 2)
        });
        match found {
            Some(len) => {
                spans.push(i..i + len);
                i += len;
            }
            None => i += rest.chars().next().map_or(1, char::len_utf8),
        }
    }
    spans
}

/// Whether `text` holds a mail service's merge tag (see [`merge_tags`]).
pub fn has_merge_tag(text: &str) -> bool {
    !merge_tags(text).is_empty()
}

/// [`html`], with the merge tags of `text` kept as they are.
pub fn html_keeping_merge_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for span in merge_tags(text) {
        out.push_str(&html(&text[copied..span.start]));
        out.push_str(&text[span.clone()]);
        copied = span.end;
    }
    out.push_str(&html(&text[copied..]));
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn merge_tags_are_found_and_kept() {
        for tag in ["{{ UnsubscribeURL }}", "*|UNSUB|*", "<%asm_group_unsubscribe_raw_url%>", "%unsubscribe_url%", "{{{unsubscribe}}}", "[[UNSUB]]"] {
            assert!(super::has_merge_tag(tag), "{tag}");
            assert_eq!(super::html_keeping_merge_tags(tag), tag);
        }
        for plain in ["https://e.com/u?a=1&b=%E4%B8%AD", "50% off, 20% more", "https://e.com/{x}"] {
            assert!(!super::has_merge_tag(plain), "{plain}");
        }
        assert_eq!(
            super::html_keeping_merge_tags("https://e.com/u?a=1&id={{ .Subscriber.UUID }}"),
            "https://e.com/u?a=1&amp;id={{ .Subscriber.UUID }}"
        );
    }

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
