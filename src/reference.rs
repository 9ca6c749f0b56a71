//! What an author's local reference names: one reading of every `cover.image`,
//! `![](…)`, `[](…)` and raw `src`/`href`, so that each is looked up the same
//! way. `@/…` and `/…` are from `content/`; a relative path is looked up
//! beside the Markdown file first, then from `content/`.

use crate::render::html;

/// A reference as written, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference<'a> {
    /// Not a local file: a URL with a scheme (`https:`, `mailto:`, `data:`),
    /// `//host/…`, an in-page `#anchor` or `?query`, or nothing.
    Outside,
    /// A local reference.
    Local(Local<'a>),
}

/// A local reference: the content paths it may name, in the order they are tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Local<'a> {
    pub how: How,
    /// Paths inside `content/`, percent-decoded, `.` and `..` resolved.
    pub candidates: Vec<String>,
    /// The path as written (before `?` and `#`).
    pub written_path: &'a str,
    /// `?query#fragment` as written, kept on the URL.
    pub suffix: &'a str,
}

/// How a local reference was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// `@/posts/a.md`: a content path.
    Content,
    /// `/images/x.png`: from the site's root (= `content/`).
    Rooted,
    /// `images/x.png`, `../x.png`: beside the Markdown file, then from `content/`.
    Relative,
}

/// Take `written` apart as found in the file `from` (a path inside `content/`).
pub fn parse<'a>(written: &'a str, from: &str) -> Reference<'a> {
    let w = written.trim();
    if w.is_empty() || w.starts_with('#') || w.starts_with('?') || w.starts_with("//") || html::has_scheme(w) {
        return Reference::Outside;
    }
    let (path, suffix) = match w.find(['?', '#']) {
        Some(i) => (&w[..i], &w[i..]),
        None => (w, ""),
    };
    let decoded = html::percent_decode(path);
    let (how, candidates) = if let Some(p) = decoded.strip_prefix("@/") {
        (How::Content, vec![normalize("", p)])
    } else if let Some(p) = decoded.strip_prefix('/') {
        (How::Rooted, vec![normalize("", p)])
    } else {
        let dir = from.rsplit_once('/').map_or("", |(d, _)| d);
        let mut c = vec![normalize(dir, &decoded)];
        if !dir.is_empty() {
            c.push(normalize("", &decoded));
        }
        (How::Relative, c)
    };
    let mut candidates: Vec<String> = candidates.into_iter().flatten().collect();
    candidates.dedup();
    Reference::Local(Local { how, candidates, written_path: path, suffix })
}

/// `written` without the site's base path when it starts with it:
/// `/letter/images/x.png` on a site at `/letter/` is `/images/x.png`.
pub fn within_base<'w>(base_path: &str, written: &'w str) -> std::borrow::Cow<'w, str> {
    match (base_path.len() > 1).then(|| written.trim().strip_prefix(base_path)).flatten() {
        Some(rest) => format!("/{rest}").into(),
        None => written.into(),
    }
}

/// `dir/path` with `.` and `..` resolved; `None` when it climbs out of `content/`.
/// Hand-written: `url::Url::join` stops `..` at the root instead of telling
/// that the path climbs out, which is an error the author must see.
pub fn normalize(dir: &str, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    let mut joined = parts.join("/");
    if path.ends_with('/') && !joined.is_empty() {
        joined.push('/');
    }
    Some(joined)
}

/// The output file a site path is served from: `posts/a/` → `posts/a/index.html`.
pub fn output_file(path: &str) -> String {
    if path.is_empty() || path.ends_with('/') { format!("{path}index.html") } else { path.to_string() }
}

/// " (did you mean https://pptrconsole.com?)" when a relative reference that
/// names nothing looks like a web address written without its scheme.
pub fn web_address_hint(written: &str) -> Option<String> {
    let host = written.split('/').next()?;
    let labels: Vec<&str> = host.split('.').collect();
    let tld = labels.last()?.to_ascii_lowercase();
    let plausible = labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        && (labels[0].eq_ignore_ascii_case("www") || COMMON_TLDS.contains(&tld.as_str()));
    plausible.then(|| format!(" (did you mean https://{written}?)"))
}

/// Top-level domains common enough that `name.TLD` is more likely an address
/// than a file (file extensions such as `.md`, `.png`, `.rs` are not here).
const COMMON_TLDS: [&str; 40] = [
    "com", "org", "net", "io", "dev", "ai", "app", "co", "cn", "uk", "de", "fr", "jp", "kr", "tw", "hk", "ru", "in", "eu", "us", "ca", "au", "info",
    "me", "xyz", "edu", "gov", "tv", "news", "blog", "site", "tech", "online", "cloud", "top", "ly", "so", "fm", "gg", "to",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn local(written: &str, from: &str) -> (How, Vec<String>, String) {
        match parse(written, from) {
            Reference::Local(l) => (l.how, l.candidates, l.suffix.to_string()),
            Reference::Outside => panic!("{written} is local"),
        }
    }

    #[test]
    fn outside_references() {
        for w in ["", "  ", "#top", "?q=1", "https://x.org/a.png", "mailto:a@b.c", "data:image/png;base64,AA", "//cdn.org/x.js", "tel:+1"] {
            assert_eq!(parse(w, "posts/a.md"), Reference::Outside, "{w:?}");
        }
    }

    #[test]
    fn the_three_ways_resolve_as_documented() {
        assert_eq!(local("@/posts/b.md#part", "posts/a.md"), (How::Content, vec!["posts/b.md".into()], "#part".into()));
        assert_eq!(local("/images/x.png", "posts/a.md"), (How::Rooted, vec!["images/x.png".into()], String::new()));
        assert_eq!(local("images/x.png?v=2", "posts/a.md"), (How::Relative, vec!["posts/images/x.png".into(), "images/x.png".into()], "?v=2".into()));
        assert_eq!(local("../images/x%20y.png", "posts/2023/a.md").1, ["posts/images/x y.png"]);
        assert_eq!(local("./x.png", "a.md").1, ["x.png"]);
        assert_eq!(local("../../x.png", "posts/a.md").1, Vec::<String>::new(), "out of content/");
        assert_eq!(local("/posts/b/", "posts/a.md").1, ["posts/b/"]);
    }

    #[test]
    fn web_addresses_without_scheme() {
        assert_eq!(web_address_hint("pptrconsole.com").as_deref(), Some(" (did you mean https://pptrconsole.com?)"));
        assert_eq!(web_address_hint("www.example.org/a/b").as_deref(), Some(" (did you mean https://www.example.org/a/b?)"));
        for w in ["images/x.png", "a.md", "main.rs", "x", "..", "notes.txt"] {
            assert_eq!(web_address_hint(w), None, "{w}");
        }
    }
}
