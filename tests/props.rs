//! Property tests: the front matter splitter, the fenced-block scanner, the
//! Markdown renderer, slugs, `Post::parse`, the comment sanitizer and the
//! translation tools never panic, keep their line numbers straight, and never let script through.
//!
//! 1,024 cases per property by default; more with `PROPTEST_CASES=100000 cargo
//! test --release --test props` (see docs/TESTING.md).

use gen_site::comments::{self, Comment};
use gen_site::config::Config;
use gen_site::markdown::{self, blocks};
use gen_site::output::Output;
use gen_site::post::Post;
use gen_site::{date, frontmatter, sanitize, slug};
use proptest::prelude::*;
use std::path::Path;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1024);
    ProptestConfig { cases, ..ProptestConfig::default() }
}

/// Pieces that matter to the parsers, mixed with arbitrary characters.
const FRAGMENTS: &[&str] = &[
    "---\n",
    "---",
    "...\n",
    "title: x\n",
    "title: [1, 2]\n",
    "date: 2023-06-08\n",
    "date: 2023-02-30 25:00\n",
    "slug: ../x\n",
    "tags: [a, 中文, 🚀]\n",
    "issue: 3\n",
    "related: [a]\n",
    "lang: en\n",
    "template: x\n",
    "extra: {a: 1}\n",
    "  - a\n",
    "\t",
    ": ",
    "\"",
    "'",
    "\\",
    "{",
    "}",
    "[",
    "]",
    "\n",
    "\r\n",
    "\r",
    "\u{feff}",
    "\0",
    " ",
    "    ",
    ":::\n",
    "::: note\n",
    "::: note {title=\"t\"}\n",
    "::: bilingual {source=en target=zh}\n",
    "::: comments {source=S url=\"https://x\"}\n",
    "::: comment {author=a}\n",
    "::: comment\n",
    "::: postscript\n",
    "::: {.note #id}\n",
    "::: notes\n",
    ":::: note ::::\n",
    "```\n",
    "```rust\n",
    "~~~\n",
    "    code\n",
    "> ",
    "- ",
    "1. ",
    "# h\n",
    "## h {#id}\n",
    "[^1]",
    "[^1]: note\n",
    "[a](@/posts/a.md)",
    "[b](@/posts/a.md#part)",
    "[c](@/x.md)",
    "<!--gen0:open:0-->\n",
    "<!--gen0:close:1-->\n",
    "<!--gen:close:0-->\n",
    "<!--gen1:open:0-->",
    "<!-- more -->\n",
    "<div>\n",
    "</div>\n",
    "<script>alert(1)</script>",
    "中文",
    "段落。",
    "😀",
    "a",
    "Z",
    "9",
    "|a|b|\n|-|-|\n",
    "**",
    "*",
    "_",
    "`",
    "~~",
    "&amp;",
    "&#x3c;",
];

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(FRAGMENTS).prop_map(str::to_string),
        1 => any::<char>().prop_map(String::from),
        1 => "[ -~]{0,12}",
    ]
}

fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(fragment(), 0..80).prop_map(|v| v.concat())
}

/// Text made of the pieces of Tera tags that name other templates.
fn template_text() -> impl Strategy<Value = String> {
    const PIECES: &[&str] = &[
        "{%",
        "%}",
        "{#",
        "#}",
        "{{",
        "}}",
        "-",
        " ",
        "\n",
        "include",
        "extends",
        "import",
        "raw",
        "endraw",
        " as m",
        "\"a.html\"",
        "\"b.html\"",
        "'b.html'",
        "`a.html`",
        "\"",
        "'",
        "`",
        "[",
        "]",
        ",",
        "ignore missing",
        "é",
        "人",
    ];
    proptest::collection::vec(
        prop_oneof![4 => proptest::sample::select(PIECES).prop_map(str::to_string), 1 => any::<char>().prop_map(String::from)],
        0..40,
    )
    .prop_map(|v| v.concat())
}

/// A text that starts like a post, so the deeper stages are reached.
fn post_text() -> impl Strategy<Value = String> {
    (text(), text()).prop_map(|(yaml, body)| format!("---\ntitle: t\ndate: 2023-06-08\n{yaml}\n---\n{body}"))
}

fn site_config() -> Config {
    Config::parse(Path::new("config.yaml"), "title: t\nbase_url: https://e.com/\nlanguages: [zh, en]\ntimezone: \"+08:00\"\n").unwrap()
}

fn strings(key: &str) -> String {
    format!("[{key}]")
}

fn resolve(url: &str) -> Result<markdown::Resolved, String> {
    match url.strip_prefix("@/") {
        None => Ok(markdown::Resolved { url: url.into(), verify: None }),
        Some(path) if path.split('#').next() == Some("posts/a.md") => Ok(markdown::Resolved { url: "/posts/a/".into(), verify: None }),
        Some(path) => Err(format!("no `{path}`")),
    }
}

fn render(body: &str) -> markdown::Rendered {
    let cx = markdown::Context { lang: "zh", original_lang: "en", strings: &strings, resolve: &resolve, autospace: true, extra_comments: None };
    markdown::render(body, &cx)
}

fn lines(text: &str) -> usize {
    text.matches('\n').count() + 1
}

/// Everything in `html` that could run script: tags that should not be there,
/// event handler attributes, and script URLs. Returns the first offence found.
fn script_in(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    for tag in ["<script", "<iframe", "<style", "<object", "<embed", "<svg", "<math", "<form", "<base", "<meta", "<link", "<frame", "<input"] {
        if lower.contains(tag) {
            return Some(format!("tag {tag}"));
        }
    }
    // Walk the tags; attribute values are double-quoted in ammonia's and gen's output.
    let mut rest = lower.as_str();
    while let Some(start) = rest.find('<') {
        let tag_end = rest[start..].find('>').map_or(rest.len(), |i| start + i);
        let tag = &rest[start + 1..tag_end];
        let mut attrs = tag.split_once(char::is_whitespace).map_or("", |(_, a)| a);
        while !attrs.trim().is_empty() {
            attrs = attrs.trim_start();
            let name_end = attrs.find(|c: char| c == '=' || c.is_whitespace()).unwrap_or(attrs.len());
            let name = &attrs[..name_end];
            attrs = &attrs[name_end..];
            let mut value = "";
            if let Some(v) = attrs.trim_start().strip_prefix('=') {
                let v = v.trim_start();
                if let Some(q) = v.strip_prefix('"') {
                    let end = q.find('"').unwrap_or(q.len());
                    value = &q[..end];
                    attrs = q.get(end + 1..).unwrap_or("");
                } else {
                    let end = v.find(char::is_whitespace).unwrap_or(v.len());
                    value = &v[..end];
                    attrs = &v[end..];
                }
            }
            if name.starts_with("on") {
                return Some(format!("event attribute {name} in <{tag}>"));
            }
            let squeezed: String = value.chars().filter(|c| !c.is_whitespace() && !c.is_control()).collect();
            for scheme in ["javascript:", "vbscript:", "data:"] {
                if squeezed.starts_with(scheme) {
                    return Some(format!("{scheme} URL in <{tag}>"));
                }
            }
            if name == "style" {
                return Some(format!("style attribute in <{tag}>"));
            }
        }
        rest = &rest[tag_end.min(rest.len())..];
        if rest.is_empty() {
            break;
        }
        rest = &rest[1..];
    }
    None
}

/// Payloads from the OWASP XSS filter evasion cheat sheet and friends: one a line
/// in tests/fixtures/xss-payloads.txt, `\n` for a line end.
static XSS: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
    include_str!("fixtures/xss-payloads.txt").lines().filter(|l| !l.is_empty()).map(|l| l.replace("\\n", "\n")).collect()
});

fn untrusted() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => proptest::sample::select(XSS.clone()),
        2 => fragment(),
        1 => "[<>\"'=/ a-zA-Z:&#;]{0,20}",
    ];
    proptest::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn split_accounts_for_every_line(text in text()) {
        let text = gen_site::post::normalize(&text);
        if let Ok(s) = frontmatter::split(&text) {
            prop_assert_eq!(s.yaml_line, 2);
            prop_assert!(text.ends_with(s.body));
            let before = &text[..text.len() - s.body.len()];
            if !s.body.is_empty() || text.ends_with('\n') {
                prop_assert_eq!(before.matches('\n').count() + 1, s.body_line, "{:?}", text);
            }
            prop_assert!(text[4..].starts_with(s.yaml) || s.yaml.is_empty());
            if let Err(e) = frontmatter::parse(&s) {
                prop_assert!(e.line >= 1 && e.line <= lines(&text), "{:?} for {:?}", e, text);
                prop_assert!(!e.message.contains(" at line "), "position inside the message: {}", e.message);
            }
        }
    }

    #[test]
    fn post_parse_never_panics(path in "(posts|pages)/[a-z0-9中文😀 .\\\\:-]{0,12}(\\.(en|zh|fr))?\\.md", text in prop_oneof![text(), post_text()]) {
        match Post::parse(&path, &text, &site_config()) {
            Ok(post) => {
                prop_assert!(!post.slug.is_empty());
                let path = format!("posts/{}/index.html", post.slug);
                prop_assert!(Output::is_safe_path(&path), "{:?}", post.slug);
                for tag in &post.tags {
                    let path = format!("tags/{}/index.html", slug::tag_slug(tag));
                    prop_assert!(Output::is_safe_path(&path), "{:?}", tag);
                }
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                let max = lines(&gen_site::post::normalize(&text));
                for e in &errors {
                    prop_assert!(e.line <= max, "{} beyond {} lines", e, max);
                    let _ = e.to_string();
                }
            }
        }
    }

    #[test]
    fn scan_keeps_lines_and_balances_markers(body in text()) {
        match blocks::scan(&body) {
            Ok(s) => {
                prop_assert_eq!(s.markdown.matches('\n').count(), body.matches('\n').count());
                // Each block's fences became its markers, on the same lines.
                let out: Vec<&str> = s.markdown.split('\n').collect();
                for (n, b) in s.blocks.iter().enumerate() {
                    prop_assert!(b.line >= 1 && b.line < b.close_line && b.close_line <= lines(&body), "{:?}", b);
                    prop_assert_eq!(out[b.line - 1].trim_end_matches('\r'), s.open_marker(n));
                    prop_assert_eq!(out[b.close_line - 1].trim_end_matches('\r'), s.close_marker(n));
                }
                // No line of the author's can pass for a marker, not even in code.
                prop_assert!(!body.contains(&s.prefix));
                let markers = out.iter().filter(|l| s.parse_marker(l).is_some()).count();
                prop_assert_eq!(markers, 2 * s.blocks.len(), "{:?}", s.markdown);
            }
            Err(errors) => {
                for e in &errors {
                    prop_assert!(e.line >= 1 && e.line <= lines(&body), "{:?}", e);
                    prop_assert!(e.col >= 1);
                }
            }
        }
    }

    #[test]
    fn render_never_panics_and_never_leaks_markers(body in text()) {
        let r = render(&body);
        // Line numbers count lone `\r` as line ends, as CommonMark and `Post::parse` do.
        let max = lines(&gen_site::post::normalize(&body));
        for (line, col, message) in &r.errors {
            prop_assert!(*line >= 1 && *line <= max + 1, "line {} of {}: {}", line, max, message);
            prop_assert!(*col >= 1);
        }
        if r.errors.is_empty() {
            // The marker prefix occurs nowhere in the body, so none may reach the HTML.
            if let Ok(s) = blocks::scan(&gen_site::post::normalize(&body)) {
                prop_assert!(!r.html.contains(&s.prefix), "a marker leaked into {:?}", r.html);
            }
            for h in &r.headings {
                prop_assert!(r.ids.contains(&h.id));
            }
        }
    }

    #[test]
    fn template_scanning_never_panics_and_finds_a_leading_self_include(a in template_text(), b in template_text()) {
        use std::collections::BTreeMap;
        let load = |a: &str| {
            let templates = BTreeMap::from([("a.html".to_string(), a.to_string()), ("b.html".to_string(), b.clone())]);
            gen_site::theme::template_cycles("default", &templates)
        };
        let _ = load(&a);
        let errors = load(&format!("{{% include \"a.html\" %}}{a}"));
        prop_assert!(errors.iter().any(|e| e.message.contains("itself") && e.message.contains("a.html")), "{:?} / {:?}", a, b);
    }

    #[test]
    fn slugs_never_leave_the_output(s in prop_oneof!["\\PC{0,20}", text()]) {
        if let Ok(v) = slug::explicit(&s) {
            prop_assert!(!v.is_empty());
            prop_assert!(!v.contains(['/', '\\', '\0', ':']) && !v.contains(".."), "{:?} -> {:?}", s, v);
            let path = format!("posts/{v}/index.html");
            prop_assert!(Output::is_safe_path(&path), "{}", path);
        }
        for v in [slug::slugify(&s), slug::from_file_stem(&s), slug::tag_slug(&s)] {
            prop_assert!(!v.contains(['/', '\\', '\0', ':']) && !v.contains(".."), "{:?} -> {:?}", s, v);
            if !v.is_empty() {
                let path = format!("tags/{v}/index.html");
                prop_assert!(Output::is_safe_path(&path), "{:?}", v);
            }
        }
        let encoded = slug::encode_segment(&s);
        prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b)));
    }

    #[test]
    fn sanitizer_lets_no_script_through(input in untrusted()) {
        let cleaned = sanitize::clean(&input);
        prop_assert!(script_in(&cleaned).is_none(), "{:?}\n{:?}\n-> {}", script_in(&cleaned), input, cleaned);
        let md = markdown::render_untrusted(&input);
        prop_assert!(script_in(&md).is_none(), "{:?}\n{:?}\n-> {}", script_in(&md), input, md);
        // Sanitizing is stable: a second pass changes nothing that matters.
        prop_assert!(script_in(&sanitize::clean(&cleaned)).is_none());
    }

    #[test]
    fn comment_blocks_in_posts_let_no_script_through(a in untrusted(), b in untrusted(), nested in any::<bool>()) {
        // Fence lines would end the comment early; the rest is the author's own HTML.
        let safe = |s: &str| s.replace(":::", ": : :").replace("```", "` ` `").replace("~~~", "~ ~ ~");
        let inner = if nested {
            format!("{}\n\n::: comment {{author=b}}\n{}\n\n::: note\n{}\n:::\n:::\n", safe(&a), safe(&b), safe(&a))
        } else {
            format!("{}\n\n{}\n", safe(&a), safe(&b))
        };
        let body = format!("::: comments\n::: comment {{author=\"{}\" title=\"{}\" url=\"javascript:alert(1)\"}}\n{inner}:::\n:::\n", "a\\\"><script>", "t");
        let r = render(&body);
        if r.errors.is_empty() {
            // Everything in this post came from inside the comment: footnotes and all.
            let offence = script_in(&r.html);
            prop_assert!(offence.is_none(), "{:?}\n{}\n-> {}", offence, body, r.html);
        }
    }

    #[test]
    fn late_comments_let_no_script_through(body in untrusted(), translation in untrusted(), meta in untrusted()) {
        let reply = Comment {
            author: meta.clone(), date: Some(meta.clone()), source: Some(meta.clone()), url: Some(format!("javascript:{meta}")),
            title: Some(meta.clone()), lang: None, body: translation.clone(), translation: None, replies: Vec::new(),
        };
        let c = Comment {
            author: meta.clone(), date: Some(meta.clone()), source: Some(meta.clone()), url: Some(meta.clone()), title: Some(meta.clone()),
            lang: Some("en".into()), body, translation: Some(translation), replies: vec![reply],
        };
        let html: String = comments::render(&[c], "zh", "en", "late-").into_iter().map(|g| g.html).collect();
        prop_assert!(script_in(&html).is_none(), "{:?}\n-> {}", script_in(&html), html);
    }

    #[test]
    fn config_and_dates_never_panic(text in text(), d in "[0-9T :+Z-]{0,30}") {
        let _ = Config::parse(Path::new("config.yaml"), &text);
        let _ = Config::parse(Path::new("config.yaml"), &format!("title: t\nbase_url: https://e.com/\n{text}"));
        let tz = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
        let _ = date::parse(&d, tz);
        let _ = date::parse(&text, tz);
        let ny = date::Zone::parse("America/New_York").unwrap();
        let _ = date::parse(&d, ny);
        let _ = date::parse(&text, ny);
    }

    #[test]
    fn translation_tools_never_panic_and_refresh_keeps_the_file(body in text(), text in prop_oneof![text(), post_text()]) {
        use gen_site::translation;
        for p in translation::paragraphs(&body) {
            prop_assert!(!p.is_empty() && !p.contains("\n\n"), "{:?}", p);
        }
        let swapped = translation::swap_bilingual(&body, "zh", "en", "en");
        // Blocks stay balanced.
        prop_assert_eq!(blocks::scan(&body).is_ok(), blocks::scan(&swapped).is_ok(), "{:?} -> {:?}", body, swapped);
        let config = site_config();
        if let Ok(original) = Post::parse("posts/a.md", &text, &config) {
            let record = translation::record(&original);
            let _ = translation::scaffold(&original, "en", &config, &|_| None);
            let refreshed = translation::refresh(&text, &record).expect("a post has front matter");
            match Post::parse("posts/a.md", &refreshed, &config) {
                Ok(again) => {
                    prop_assert_eq!(again.translated_from.as_ref(), Some(&record));
                    prop_assert_eq!(&again.body, &original.body);
                    prop_assert_eq!(&again.title, &original.title);
                }
                Err(e) => prop_assert!(false, "{:?}\n-> {:?}\n{}", text, refreshed, e[0]),
            }
        }
    }
}

#[test]
fn the_checker_catches_what_it_should() {
    assert!(script_in("<a href=\"javascript:alert(1)\">x</a>").is_some());
    assert!(script_in("<img src=x onerror=alert(1)>").is_some());
    assert!(script_in("<p>javascript: is text here</p>").is_none());
    assert!(script_in("<a href=\"https://e.com/?q=data:1\" rel=\"nofollow\">x</a>").is_none());
    assert!(script_in("<a href=\" java\tscript:x\">x</a>").is_some());
    assert!(script_in("<p style=\"color:red\">x</p>").is_some());
}
