//! How `gen serve` answers a request from the built output: URL paths
//! decoded and checked, folders, redirects, content types, the injected script.

use crate::output::Output;

/// What a request path resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// Serve this file of the output (a key of [`Output::files`]).
    File(String),
    /// Redirect here; permanent for folders without their trailing slash.
    Redirect { location: String, permanent: bool },
    /// Not in the output: the site's `404.html` with status 404.
    NotFound,
    /// A path that cannot name a file of the output (`..`, NUL, bad escapes).
    BadRequest,
}

/// Resolve a request path (as sent, still percent-encoded) against `output`
/// served under `base_path` (`/` or `/letter/`). `query` is kept on redirects.
pub fn resolve(output: &Output, base_path: &str, raw_path: &str, query: Option<&str>) -> Resolved {
    let Some(path) = decode_path(raw_path) else { return Resolved::BadRequest };
    let query = query.filter(|q| !q.is_empty()).map(|q| format!("?{q}")).unwrap_or_default();
    let base = decode_path(base_path).unwrap_or_else(|| base_path.to_string());
    let rest = if base == "/" {
        &path[1..]
    } else if let Some(rest) = path.strip_prefix(base.as_str()) {
        rest
    } else if path == "/" {
        return Resolved::Redirect { location: format!("{base_path}{query}"), permanent: false };
    } else if path == base.trim_end_matches('/') {
        return Resolved::Redirect { location: format!("{base_path}{query}"), permanent: true };
    } else {
        return Resolved::NotFound;
    };
    let key = if rest.is_empty() || rest.ends_with('/') { format!("{rest}index.html") } else { rest.to_string() };
    if output.files.contains_key(&key) {
        return Resolved::File(key);
    }
    if !rest.is_empty() && !rest.ends_with('/') && output.files.contains_key(&format!("{rest}/index.html")) {
        return Resolved::Redirect { location: format!("{raw_path}/{query}"), permanent: true };
    }
    Resolved::NotFound
}

/// Percent-decode a URL path and check that it names a place inside the
/// output: it starts with `/`, decodes to UTF-8, and has no NUL, backslash,
/// `.` or `..` segment, or empty segment (`//etc/passwd`). `None` = refuse.
pub fn decode_path(raw: &str) -> Option<String> {
    if !raw.starts_with('/') {
        return None;
    }
    // A `%` that starts no escape is refused rather than taken literally.
    let escapes = raw.match_indices('%').all(|(i, _)| raw.get(i + 1..i + 3).is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit())));
    if !escapes {
        return None;
    }
    let path = percent_encoding::percent_decode_str(raw).decode_utf8().ok()?.into_owned();
    if path.contains(['\0', '\\']) || path.chars().any(char::is_control) {
        return None;
    }
    let segments: Vec<&str> = path[1..].split('/').collect();
    let last = segments.len() - 1;
    for (i, seg) in segments.iter().enumerate() {
        if *seg == "." || *seg == ".." || (seg.is_empty() && i != last) {
            return None;
        }
    }
    Some(path)
}

/// The `Content-Type` of an output file, by extension; text types say UTF-8.
pub fn content_type(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = match name.rsplit_once('.') {
        Some((_, ext)) => ext.to_ascii_lowercase(),
        None => String::new(),
    };
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json; charset=utf-8",
        "webmanifest" => "application/manifest+json; charset=utf-8",
        "xml" => "application/xml; charset=utf-8",
        "xsl" => "text/xsl; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "md" => "text/markdown; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "svg" => "image/svg+xml; charset=utf-8",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "pdf" => "application/pdf",
        "wasm" => "application/wasm",
        "mp3" => "audio/mpeg",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

/// Whether a file is an HTML page (which gets the live-reload script).
pub fn is_html(path: &str) -> bool {
    content_type(path).starts_with("text/html")
}

/// Insert `snippet` before the last `</body>` (any case), or at the end.
pub fn inject(html: &[u8], snippet: &str) -> Vec<u8> {
    let at = html.windows(7).rposition(|w| w.eq_ignore_ascii_case(b"</body>")).unwrap_or(html.len());
    let mut out = Vec::with_capacity(html.len() + snippet.len());
    out.extend_from_slice(&html[..at]);
    out.extend_from_slice(snippet.as_bytes());
    out.extend_from_slice(&html[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Output {
        let mut o = Output::default();
        for p in ["index.html", "404.html", "posts/a/index.html", "tags/人工智能/index.html", "style.css", "a b.txt"] {
            o.add(p, p);
        }
        o
    }

    #[test]
    fn resolves_under_a_sub_path() {
        let o = site();
        let b = "/letter/";
        assert_eq!(resolve(&o, b, "/letter/", None), Resolved::File("index.html".into()));
        assert_eq!(resolve(&o, b, "/letter/posts/a/", None), Resolved::File("posts/a/index.html".into()));
        assert_eq!(resolve(&o, b, "/letter/style.css", None), Resolved::File("style.css".into()));
        assert_eq!(resolve(&o, b, "/letter/a%20b.txt", None), Resolved::File("a b.txt".into()));
        assert_eq!(resolve(&o, b, "/letter/tags/%E4%BA%BA%E5%B7%A5%E6%99%BA%E8%83%BD/", None), Resolved::File("tags/人工智能/index.html".into()));
        assert_eq!(resolve(&o, b, "/letter/posts/a", Some("x=1")), Resolved::Redirect { location: "/letter/posts/a/?x=1".into(), permanent: true });
        assert_eq!(resolve(&o, b, "/", None), Resolved::Redirect { location: "/letter/".into(), permanent: false });
        assert_eq!(resolve(&o, b, "/letter", None), Resolved::Redirect { location: "/letter/".into(), permanent: true });
        assert_eq!(resolve(&o, b, "/posts/a/", None), Resolved::NotFound);
        assert_eq!(resolve(&o, b, "/letter/nope", None), Resolved::NotFound);
        assert_eq!(resolve(&o, b, "/letter/posts/", None), Resolved::NotFound);
    }

    #[test]
    fn resolves_at_the_root() {
        let o = site();
        assert_eq!(resolve(&o, "/", "/", None), Resolved::File("index.html".into()));
        assert_eq!(resolve(&o, "/", "/posts/a", None), Resolved::Redirect { location: "/posts/a/".into(), permanent: true });
        assert_eq!(resolve(&o, "/", "/404.html", None), Resolved::File("404.html".into()));
    }

    #[test]
    fn refuses_traversal_and_bad_escapes() {
        let o = site();
        for bad in [
            "/../Cargo.toml",
            "/letter/../../etc/passwd",
            "/%2e%2e/",
            "/letter/%2E%2E/%2e%2e/Cargo.toml",
            "/..%2f",
            "/letter/..%2fCargo.toml",
            "/letter/%2e%2e%2fCargo.toml",
            "//etc/passwd",
            "/letter//etc/passwd",
            "/%00",
            "/letter/index.html%00.css",
            "/letter/..\\Cargo.toml",
            "/letter/%5c..%5cCargo.toml",
            "/letter/./index.html",
            "/letter/%zz",
            "/letter/%e4%bd",
            "/letter/%",
            "etc/passwd",
            "",
        ] {
            assert_eq!(resolve(&o, "/letter/", bad, None), Resolved::BadRequest, "{bad:?}");
        }
    }

    #[test]
    fn decodes_utf8_paths() {
        assert_eq!(decode_path("/tags/%E4%BA%BA/").as_deref(), Some("/tags/人/"));
        assert_eq!(decode_path("/tags/人/").as_deref(), Some("/tags/人/"));
        assert_eq!(decode_path("/a+b").as_deref(), Some("/a+b"));
        assert_eq!(decode_path("/").as_deref(), Some("/"));
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type("posts/a/index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("style.CSS"), "text/css; charset=utf-8");
        assert_eq!(content_type("atom.xml"), "application/xml; charset=utf-8");
        assert_eq!(content_type("feed.json"), "application/json; charset=utf-8");
        assert_eq!(content_type("posts/a/email.txt"), "text/plain; charset=utf-8");
        assert_eq!(content_type("a.woff2"), "font/woff2");
        assert_eq!(content_type("img/x.webp"), "image/webp");
        assert_eq!(content_type("noext"), "application/octet-stream");
        assert_eq!(content_type("dir.v2/noext"), "application/octet-stream");
    }

    #[test]
    fn injects_before_the_last_body_end() {
        assert_eq!(inject(b"<body>x</body></html>", "S"), b"<body>xS</body></html>");
        assert_eq!(inject(b"<BODY>x</BODY>", "S"), b"<BODY>xS</BODY>");
        assert_eq!(inject(b"<p>`</body>`</p></body>", "S"), b"<p>`</body>`</p>S</body>");
        assert_eq!(inject(b"no body", "S"), b"no bodyS");
    }
}
