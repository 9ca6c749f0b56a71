//! URL names of posts, pages and tags: from file names or titles, transliterated
//! when non-ASCII (`中文` → `zhong-wen`), and never able to leave `public/`.

/// Slug for a file name or title: lowercase ASCII words joined by `-`.
pub fn slugify(text: &str) -> String {
    slug::slugify(text)
}

/// The default slug of a content file: its stem minus a leading `YYYY-MM-DD-`
/// and minus the language suffix (already removed by the caller).
pub fn from_file_stem(stem: &str) -> String {
    slugify(strip_date_prefix(stem))
}

/// `2024-02-01-chip-act` → `chip-act`.
pub fn strip_date_prefix(stem: &str) -> &str {
    let b = stem.as_bytes();
    let is_date = b.len() > 11
        && b[..10].iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() })
        && (b[10] == b'-' || b[10] == b'_');
    if is_date { &stem[11..] } else { stem }
}

/// Check an explicit `slug:` from front matter. Safe ASCII slugs are kept as
/// written; others are transliterated; anything that could leave the output
/// folder is an error.
pub fn explicit(slug: &str) -> Result<String, String> {
    if slug.contains(['/', '\\', '\0']) || slug.contains("..") || slug.starts_with('.') || slug.contains(':') {
        return Err(format!("slug `{}` would escape the output folder; use letters, digits and `-`", slug.escape_debug()));
    }
    if slug.chars().any(char::is_control) {
        return Err("slug contains control characters".into());
    }
    if !slug.is_empty() && slug.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Ok(slug.to_string());
    }
    let s = slugify(slug);
    if s.is_empty() {
        return Err(format!("slug `{slug}` has no letters or digits to make a URL name from"));
    }
    Ok(s)
}

/// URL-safe name of a tag: CJK kept as is (browsers show it), ASCII lowercased,
/// separators and anything path-like turned into `-`; `+` and `#` are spelled
/// out, so that `C++`, `C#` and `C` are three tags (`c-plus-plus`, `c-sharp`,
/// `c`). A leading `#` is a hashtag's mark, not part of the name.
pub fn tag_slug(tag: &str) -> String {
    let tag = tag.trim();
    let tag = tag.strip_prefix(['#', '＃']).unwrap_or(tag);
    let mut spelled = String::with_capacity(tag.len() + 8);
    for c in tag.chars() {
        match c {
            '+' | '＋' => spelled.push_str(" plus "),
            '#' | '＃' => spelled.push_str(" sharp "),
            c => spelled.push(c),
        }
    }
    words(&spelled)
}

/// What two spellings of one tag share: they differ only in case or spacing
/// (`Rust`, `rust`), and are one tag.
pub fn tag_identity(tag: &str) -> String {
    tag.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>().join(" ")
}

/// The letters and digits of `text` in any script, lowercased, each run of
/// anything else turned into one `-`.
pub fn words(text: &str) -> String {
    let mut out = String::new();
    for c in text.trim().chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() { slugify(text) } else { out }
}

/// Percent-encode a path segment for use in an href (UTF-8, RFC 3986 unreserved kept).
pub fn encode_segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
}

/// What a path segment escapes: everything but RFC 3986's unreserved characters.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stems() {
        assert_eq!(from_file_stem("2024-02-01-chip-act"), "chip-act");
        assert_eq!(from_file_stem("Hello World"), "hello-world");
        assert_eq!(from_file_stem("中文标题"), "zhong-wen-biao-ti");
        assert_eq!(from_file_stem("2024-02-01"), "2024-02-01");
    }

    #[test]
    fn explicit_slugs() {
        assert_eq!(explicit("gpt-5").unwrap(), "gpt-5");
        assert_eq!(explicit("My_Post").unwrap(), "My_Post");
        assert_eq!(explicit("预训练").unwrap(), "yu-xun-lian");
        for bad in ["../x", "a/b", "/etc", "C:\\x", "a\0b", "..", ".hidden"] {
            assert!(explicit(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tags_keep_cjk() {
        assert_eq!(tag_slug("人工智能"), "人工智能");
        assert_eq!(tag_slug("Large Language Models"), "large-language-models");
        assert_eq!(tag_slug("../x"), "x");
        assert_eq!(encode_segment("人工"), "%E4%BA%BA%E5%B7%A5");
    }

    #[test]
    fn tags_spell_out_plus_and_sharp() {
        assert_eq!(tag_slug("C++"), "c-plus-plus");
        assert_eq!(tag_slug("C#"), "c-sharp");
        assert_eq!(tag_slug("C"), "c");
        assert_eq!(tag_slug("F#"), "f-sharp");
        assert_eq!(tag_slug("Notepad++ 8"), "notepad-plus-plus-8");
        assert_eq!(tag_slug("C＋＋"), "c-plus-plus");
        assert_eq!(tag_slug("#MeToo"), "metoo");
        assert_eq!(tag_slug("+1"), "plus-1");
        assert_eq!(tag_slug("#"), "");
        assert_eq!(words("C++ vs C#"), "c-vs-c");
        assert_eq!(tag_identity(" Large  Language\tModels "), "large language models");
        assert_eq!(tag_identity("Rust"), tag_identity("rust"));
    }
}
