//! What a published newsletter needs beyond its pages, checked on the sample
//! site and on `fixtures/subpath-site` (base URL with a sub-path): feeds,
//! sitemap and robots.txt, the search index, the email edition, `gen check`'s
//! link scan, `gen init` and `gen new`.

mod common;

use gen_site::build::{self, BuildOptions, Built};
use gen_site::disk;
use gen_site::render::html::{self, Token};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture() -> PathBuf {
    repo().join("tests/fixtures/subpath-site")
}

fn build_at(root: &Path) -> Built {
    let sources = disk::load(root).expect("load");
    build::build(&sources, &BuildOptions::default()).unwrap_or_else(|e| panic!("build failed: {e:?}"))
}

/// Build `root` with `config.yaml` changed by `edit`.
fn build_with_config(root: &Path, edit: impl Fn(&str) -> String) -> Built {
    let mut sources = disk::load(root).expect("load");
    let config = sources.config.take().expect("config.yaml");
    sources.config = Some(edit(&config));
    build::build(&sources, &BuildOptions::default()).unwrap_or_else(|e| panic!("build failed: {e:?}"))
}

fn text(built: &Built, path: &str) -> String {
    let bytes = built.output.files.get(path).unwrap_or_else(|| panic!("{path} is missing; have {:?}", built.output.files.keys().collect::<Vec<_>>()));
    String::from_utf8(bytes.to_vec()).expect("utf-8")
}

/// Every `href`/`src` value of an HTML text.
fn links(page: &str) -> Vec<String> {
    html::tokenize(page)
        .into_iter()
        .filter_map(|t| match t {
            Token::Start { attrs, .. } => {
                Some(attrs.into_iter().filter(|a| a.name == "href" || a.name == "src").map(|a| a.value.into_owned()).collect::<Vec<_>>())
            }
            _ => None,
        })
        .flatten()
        .collect()
}

/// The text between `<tag>` and `</tag>`, every occurrence.
fn elements<'a>(xml: &'a str, tag: &str) -> Vec<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    xml.match_indices(&open).filter_map(|(i, _)| xml[i + open.len()..].find(&close).map(|j| &xml[i + open.len()..i + open.len() + j])).collect()
}

// ---------------------------------------------------------------- feeds

#[test]
fn feeds_exist_per_language_with_absolute_urls_and_stable_ids() {
    let built = build_at(&fixture());
    for (prefix, home) in [("", "https://example.org/news/letter/"), ("zh/", "https://example.org/news/letter/zh/")] {
        let atom = text(&built, &format!("{prefix}atom.xml"));
        assert!(atom.contains(&format!("<link href=\"{home}atom.xml\" rel=\"self\" type=\"application/atom+xml\"/>")), "{atom}");
        assert!(atom.contains(&format!("<id>{home}</id>")));
        for id in elements(&atom, "id").into_iter().skip(1) {
            assert!(id.starts_with(home) && id.contains("/posts/") && id.ends_with('/'), "entry id {id}");
        }
        let rss = text(&built, &format!("{prefix}rss.xml"));
        assert!(rss.contains(&format!("<atom:link href=\"{home}rss.xml\" rel=\"self\" type=\"application/rss+xml\"/>")), "{rss}");
        let json: Value = serde_json::from_str(&text(&built, &format!("{prefix}feed.json"))).unwrap();
        assert_eq!(json["feed_url"], format!("{home}feed.json"));
        assert_eq!(json["home_page_url"], home);
    }
    // Links inside content are absolute: no href="/…" or href="#…" is left.
    let all = build_with_config(&fixture(), |c| c.replace("limit: 2", "limit: 20"));
    let atom = text(&all, "atom.xml");
    for bad in ["href=&quot;/", "src=&quot;/", "href=&quot;#", "src=&quot;images"] {
        assert!(!atom.contains(bad), "{bad} in the Atom content");
    }
    assert!(atom.contains("href=&quot;https://example.org/news/letter/posts/first-issue/#tables&quot;"), "fragment made absolute");
    assert!(atom.contains("src=&quot;https://example.org/news/letter/images/chart.png&quot;"), "image made absolute");
    assert!(atom.contains("href=&quot;https://example.org/news/letter/posts/first-issue/#fn-1&quot;"), "footnote link made absolute");
}

#[test]
fn feed_dates_limits_and_escaping() {
    let built = build_at(&fixture());
    let atom = text(&built, "atom.xml");
    // feeds.limit is 2: the two newest English posts, newest first.
    let titles = elements(&atom, "title");
    assert_eq!(titles, ["The Bilingual Letter", "The third issue", "The second issue"]);
    // The feed's updated is the newest post's date, not the build's.
    assert_eq!(elements(&atom, "updated")[0], "2024-03-01T09:00:00+00:00");
    assert_eq!(elements(&atom, "published"), ["2024-03-01T09:00:00+00:00", "2024-02-01T00:00:00-05:00"]);
    let rss = text(&built, "rss.xml");
    assert_eq!(elements(&rss, "pubDate"), ["Fri, 01 Mar 2024 09:00:00 +0000", "Thu, 01 Feb 2024 00:00:00 -0500"]);
    assert_eq!(elements(&rss, "lastBuildDate"), ["Fri, 01 Mar 2024 09:00:00 +0000"]);

    // With a higher limit the first issue appears, title and content escaped, updated date kept.
    let all = build_with_config(&fixture(), |c| c.replace("limit: 2", "limit: 20"));
    let atom = text(&all, "atom.xml");
    assert!(atom.contains("<title>First issue: &lt;Tags&gt; &amp; &quot;quotes&quot; in titles</title>"), "{atom}");
    assert!(atom.contains("<updated>2024-01-12T10:00:00-05:00</updated>"));
    assert!(atom.contains("<category term=\"预训练\"/>"));
    assert!(atom.contains("Text with ]]&amp;gt; and") && !atom.contains("]]>"), "text escaped by the renderer, then for XML");
    assert!(atom.contains("&lt;b&gt;raw&lt;/b&gt;"), "raw HTML is escaped once");
    assert!(atom.contains("The original story"), "source and references are in the content");
    let rss = text(&all, "rss.xml");
    assert!(rss.contains("<category>Pre-training</category>"));
    assert!(rss.contains("<dc:creator>The Editors</dc:creator>"));
    let json: Value = serde_json::from_str(&text(&all, "feed.json")).unwrap();
    let first = json["items"].as_array().unwrap().iter().find(|i| i["id"] == "https://example.org/news/letter/posts/first-issue/").unwrap();
    assert_eq!(first["date_modified"], "2024-01-12T10:00:00-05:00");
    assert_eq!(first["image"], "https://example.org/news/letter/images/cover.png");
    assert_eq!(first["external_url"], "https://example.com/story?a=1&b=2");
    assert_eq!(first["tags"], serde_json::json!(["AI", "Pre-training", "预训练"]));
}

#[test]
fn feed_flags_are_honoured() {
    let built = build_with_config(&fixture(), |c| {
        c.replace("feeds: {atom: true, rss: true, json: true, limit: 2}", "feeds: {atom: true, rss: false, json: false}")
    });
    let files = &built.output.files;
    assert!(files.contains_key("atom.xml") && files.contains_key("zh/atom.xml"));
    for gone in ["rss.xml", "feed.json", "zh/rss.xml", "zh/feed.json"] {
        assert!(!files.contains_key(gone), "{gone}");
    }
    let page = text(&built, "index.html");
    assert!(page.contains("application/atom+xml") && !page.contains("application/rss+xml") && !page.contains("application/feed+json"));
}

#[test]
fn json_feed_follows_the_spec() {
    for root in [repo(), fixture()] {
        let built = build_at(&root);
        let base = built.site.config.base_url.clone();
        for lang in built.site.config.languages.clone() {
            let prefix = built.site.config.lang_prefix(&lang);
            let feed: Value = serde_json::from_str(&text(&built, &format!("{prefix}feed.json"))).unwrap();
            assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
            assert!(feed["title"].as_str().is_some_and(|t| !t.is_empty()));
            assert_eq!(feed["home_page_url"], format!("{base}{prefix}"));
            assert_eq!(feed["feed_url"], format!("{base}{prefix}feed.json"));
            assert_eq!(feed["language"], lang.as_str());
            assert!(feed["authors"][0]["name"].is_string());
            let items = feed["items"].as_array().expect("items");
            assert!(!items.is_empty());
            for item in items {
                let id = item["id"].as_str().unwrap();
                assert_eq!(item["url"], id);
                assert!(id.starts_with(&base), "{id}");
                assert!(item["title"].is_string() && item["summary"].is_string());
                let html = item["content_html"].as_str().unwrap();
                assert!(!html.contains("href=\"/") && !html.contains("src=\"/"), "relative URL in {id}");
                let published = item["date_published"].as_str().unwrap();
                assert!(chrono::DateTime::parse_from_rfc3339(published).is_ok(), "{published}");
                assert!(item["tags"].as_array().is_some());
                assert!(item["authors"][0]["name"].is_string());
            }
        }
    }
}

#[test]
fn atom_feed_of_the_subpath_fixture() {
    // As configured (feeds.limit 2): the structure; the first issue's rich
    // content is checked by assertions, so renderer changes do not churn it.
    let built = build_at(&fixture());
    insta::assert_snapshot!("subpath_atom", text(&built, "atom.xml"));
}

/// feedparser (when python3 has it) reads every feed without complaint.
/// Skipped with a note without it, except under CI, where it fails.
#[test]
fn feedparser_accepts_every_feed() {
    let probe = std::process::Command::new("python3").args(["-c", "import feedparser"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        assert!(std::env::var_os("CI").is_none(), "feedparser is required under CI: python3 -m pip install feedparser (see .ci/run)");
        eprintln!("note: python3 with feedparser not found (pip install feedparser); feed validation skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (name, root) in [("sample", repo()), ("subpath", fixture())] {
        let built = build_at(&root);
        let out = dir.path().join(name);
        disk::write_output(&built.output, &out).unwrap();
        for (path, _) in built.output.files.iter().filter(|(p, _)| p.ends_with("atom.xml") || p.ends_with("rss.xml") || p.ends_with("feed.json")) {
            paths.push(out.join(path));
        }
    }
    assert_eq!(paths.len(), 12);
    let script = r#"
import json, sys, feedparser
bad = 0
for path in sys.argv[1:]:
    if path.endswith(".json"):
        json.load(open(path, encoding="utf-8"))
        continue
    d = feedparser.parse(path)
    ok = d.bozo == 0 and d.version in ("atom10", "rss20") and len(d.entries) > 0
    ok = ok and all(e.get("id") and e.get("link", "").startswith("https://") and e.get("published_parsed") and e.get("content") for e in d.entries)
    if not ok:
        bad += 1
        print("BAD", path, d.version, d.get("bozo_exception"), file=sys.stderr)
print("checked", len(sys.argv) - 1)
sys.exit(1 if bad else 0)
"#;
    let out = std::process::Command::new("python3").arg("-c").arg(script).args(&paths).output().unwrap();
    assert!(out.status.success(), "feedparser: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

#[test]
fn builds_are_byte_identical() {
    for root in [repo(), fixture()] {
        assert!(build_at(&root).output == build_at(&root).output, "{}", root.display());
    }
}

// ---------------------------------------------------------------- sitemap, robots

#[test]
fn sitemap_lists_every_page_with_alternates() {
    let built = build_at(&fixture());
    let sitemap = text(&built, "sitemap.xml");
    let locs: BTreeSet<&str> = elements(&sitemap, "loc").into_iter().collect();
    let base = "https://example.org/news/letter/";
    for path in built.output.files.keys().filter(|p| p.ends_with(".html")) {
        let folder = path.strip_suffix("index.html").unwrap_or(path);
        let url = format!("{base}{}", folder.split('/').map(gen_site::slug::encode_segment).collect::<Vec<_>>().join("/"));
        let listed = locs.contains(url.as_str());
        let expected = !path.ends_with("404.html") && !path.ends_with("email.html");
        assert_eq!(listed, expected, "{url}");
    }
    assert_eq!(locs.len(), built.output.files.keys().filter(|p| p.ends_with("index.html")).count());
    // A post with a translation: both versions and x-default, on both.
    let entry = |loc: &str| {
        let i = sitemap.find(&format!("<loc>{loc}</loc>")).unwrap();
        sitemap[i..i + sitemap[i..].find("</url>").unwrap()].to_string()
    };
    for loc in [format!("{base}posts/first-issue/"), format!("{base}zh/posts/first-issue/")] {
        let e = entry(&loc);
        assert!(e.contains(&format!("<xhtml:link rel=\"alternate\" hreflang=\"en\" href=\"{base}posts/first-issue/\"/>")), "{e}");
        assert!(e.contains(&format!("<xhtml:link rel=\"alternate\" hreflang=\"zh\" href=\"{base}zh/posts/first-issue/\"/>")), "{e}");
        assert!(e.contains(&format!("<xhtml:link rel=\"alternate\" hreflang=\"x-default\" href=\"{base}posts/first-issue/\"/>")), "{e}");
        assert!(e.contains("<lastmod>2024-01-"), "{e}");
    }
    // A post in one language only has no alternates; CJK tag paths are percent-encoded.
    assert!(!entry(&format!("{base}posts/second/")).contains("xhtml:link"));
    assert!(locs.contains(format!("{base}zh/tags/%E9%A2%84%E8%AE%AD%E7%BB%83/").as_str()), "{locs:?}");
    assert_eq!(text(&built, "robots.txt"), format!("User-agent: *\nAllow: /\n\nSitemap: {base}sitemap.xml\n"));
}

// ---------------------------------------------------------------- base URL with a sub-path

#[test]
fn every_url_honours_the_sub_path() {
    let built = build_at(&fixture());
    for (path, bytes) in built.output.files.iter().filter(|(p, _)| p.ends_with(".html")) {
        let page = String::from_utf8_lossy(bytes);
        for link in links(&page) {
            let ok = link.starts_with("/news/letter/") || link.starts_with('#') || link.starts_with("https://") || link.starts_with("http://");
            assert!(ok, "{path}: {link}");
            if path.ends_with("email.html") {
                assert!(link.starts_with("https://") || link.starts_with("http://"), "{path}: {link} is not absolute");
            }
        }
    }
    let search = text(&built, "search/index.html");
    assert!(search.contains("data-index=\"/news/letter/search/index.json\""), "{search}");
    let index: Value = serde_json::from_str(&text(&built, "search/index.json")).unwrap();
    assert!(index["docs"].as_array().unwrap().iter().all(|d| d[0].as_str().unwrap().starts_with("/news/letter/posts/")));
    // gen check finds nothing broken in either site.
    for root in [repo(), fixture()] {
        let built = build_at(&root);
        let errors = gen_site::cmd::check::broken_links(&built.site, &built.output);
        assert!(errors.is_empty(), "{}: {errors:#?}", root.display());
    }
}

/// What a link checker sees: every `href`, `src`, `srcset` and `poster` of
/// every page, and every absolute URL of the site in meta tags and feeds,
/// names a file of the output. URLs of other sites and `#…` are left out; a
/// root-relative URL outside the base path is broken (it lost the sub-path).
fn internal_links_resolve(built: &Built) -> Vec<String> {
    let config = &built.site.config;
    let files = &built.output.files;
    let mut broken = Vec::new();
    let mut check = |page: &str, url: &str| {
        let url = url.trim();
        let bare = url.split(['#', '?']).next().unwrap_or_default();
        if bare.is_empty() || url.starts_with("//") {
            return;
        }
        let rest = if let Some(r) = bare.strip_prefix(config.base_url.as_str()) {
            r.to_string()
        } else if bare.contains(':') {
            return; // another site, mailto:, data:
        } else if let Some(r) = bare.strip_prefix(config.base_path.as_str()) {
            r.to_string()
        } else if bare.starts_with('/') {
            broken.push(format!("{page}: {url} is outside the base path {}", config.base_path));
            return;
        } else {
            // Relative to the page's folder, as a browser reads it.
            let mut parts: Vec<&str> = page.split('/').collect();
            parts.pop();
            for seg in bare.split('/') {
                match seg {
                    ".." => {
                        parts.pop();
                    }
                    "." | "" => {}
                    s => parts.push(s),
                }
            }
            let mut r = parts.join("/");
            if bare.ends_with('/') {
                r.push('/');
            }
            r
        };
        let rest = html::percent_decode(&rest);
        let file = if rest.is_empty() || rest.ends_with('/') { format!("{rest}index.html") } else { rest };
        if !files.contains_key(&file) {
            broken.push(format!("{page}: {url} (no {file})"));
        }
    };
    for (path, bytes) in files {
        let text = String::from_utf8_lossy(bytes);
        if path.ends_with(".html") {
            for t in html::tokenize(&text) {
                let Token::Start { attrs, .. } = t else { continue };
                for a in attrs {
                    match &*a.name {
                        "href" | "src" | "poster" => check(path, &a.value),
                        "srcset" => a.value.split(',').filter_map(|c| c.split_whitespace().next()).for_each(|u| check(path, u)),
                        "content" if a.value.starts_with(config.base_url.as_str()) => check(path, &a.value),
                        _ => {}
                    }
                }
            }
        } else if path.ends_with(".xml") || path.ends_with(".json") {
            // Absolute URLs of the site anywhere in feeds and the sitemap.
            let mut from = 0;
            while let Some(i) = text[from..].find(config.base_url.as_str()) {
                let start = from + i;
                let end = text[start..].find(['"', '<', '\'', ' ', ')', '&', '\n', '\\']).map_or(text.len(), |j| start + j);
                check(path, &text[start..end]);
                from = end;
            }
        }
    }
    broken
}

#[test]
fn a_link_checker_finds_nothing_broken_under_a_sub_path() {
    let built = build_at(&fixture());
    assert!(built.site.config.base_path == "/news/letter/");
    let broken = internal_links_resolve(&built);
    assert!(broken.is_empty(), "{broken:#?}");
    // The reader's fixture (raw HTML, videos, covers, comments) moved under a deeper sub-path.
    let built = build_with_config(&repo().join("tests/fixtures/reader-site"), |c| {
        c.replace("base_url: https://example.org/letter/", "base_url: https://example.org/a/b/letter/")
    });
    assert_eq!(built.site.config.base_path, "/a/b/letter/");
    let broken = internal_links_resolve(&built);
    assert!(broken.is_empty(), "{broken:#?}");
    // The checker can fail: a page that lost the sub-path, and one that names no file.
    let mut built = built;
    built.output.files.insert("x/index.html".into(), b"<a href=\"/posts/\">a</a><img src=\"../nothing.png\">".to_vec().into());
    assert_eq!(
        internal_links_resolve(&built),
        ["x/index.html: /posts/ is outside the base path /a/b/letter/", "x/index.html: ../nothing.png (no nothing.png)"]
    );
}

#[test]
fn pages_have_absolute_social_tags() {
    let built = build_at(&fixture());
    let post = text(&built, "posts/first-issue/index.html");
    assert!(post.contains("<link rel=\"canonical\" href=\"https://example.org/news/letter/posts/first-issue/\">"));
    assert!(post.contains("<meta property=\"og:image\" content=\"https://example.org/news/letter/images/cover.png\">"), "{post}");
    assert!(post.contains("<meta name=\"twitter:image\" content=\"https://example.org/news/letter/images/cover.png\">"));
    let sample = build_at(&repo());
    let post = text(&sample, "posts/gpt-5-not-training/index.html");
    assert!(post.contains("<meta property=\"og:image\" content=\"https://mmbiz.qpic.cn/"));
    for page in ["index.html", "tags/ai/index.html", "zh/tags/index.html", "archive/index.html", "search/index.html"] {
        let html = text(&built, page);
        assert!(html.contains("<meta name=\"description\" content=\"") && !html.contains("<meta name=\"description\" content=\"\">"), "{page}");
        assert!(html.contains("<meta property=\"og:url\" content=\"https://example.org/news/letter/"), "{page}");
    }
}

// ---------------------------------------------------------------- search

#[test]
fn search_index_per_language() {
    let built = build_at(&repo());
    for (prefix, count) in [("", 3), ("en/", 2)] {
        let index: Value = serde_json::from_str(&text(&built, &format!("{prefix}search/index.json"))).unwrap();
        assert_eq!(index["count"], count);
        assert_eq!(index["docs"].as_array().unwrap().len(), count);
        assert!(built.output.files.contains_key(&format!("{prefix}search/index.html")));
    }
    let index = gen_site::render::search::SearchIndex::build(&built.site, "zh");
    let hits = index.search("预训练");
    assert!(!hits.is_empty());
    assert_eq!(index.docs[hits[0].0].url, "/letter/posts/gpt-5-not-training/");
    assert_eq!(index.docs[index.search("奥特曼 红队")[0].0].url, "/letter/posts/gpt-5-not-training/");
    assert!(index.search("不存在的词语组合").is_empty());
    let en = gen_site::render::search::SearchIndex::build(&built.site, "en");
    assert_eq!(en.docs[en.search("transl")[0].0].url, "/letter/en/posts/reader-mailbag/");

    let off = build_with_config(&repo(), |c| c.replace("search: true", "search: false"));
    assert!(!off.output.files.keys().any(|k| k.contains("search/")));
    assert!(!text(&off, "index.html").contains("/letter/search/"));
}

/// The index size at 10,000 posts: `cargo test --release --test outputs -- --ignored --nocapture`.
#[test]
#[ignore]
fn search_index_size_at_ten_thousand_posts() {
    let dir = tempfile::tempdir().unwrap();
    let posts = dir.path().join("content/posts");
    std::fs::create_dir_all(&posts).unwrap();
    std::fs::write(
        dir.path().join("config.yaml"),
        "title: t\nbase_url: https://e.com/\nlanguages: [zh, en]\ntimezone: \"+08:00\"\nemail: false\nfeeds: {limit: 20}\n",
    )
    .unwrap();
    let words = ["模型", "训练", "数据", "推理", "芯片", "监管", "开源", "对齐", "评测", "智能体", "算力", "语料", "参数", "微调", "安全"];
    let latin = ["OpenAI", "GPT", "scaling", "transformer", "attention", "benchmark", "token", "agent", "alignment", "inference"];
    let mut seed: u64 = 7;
    let mut next = |n: usize| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) as usize % n
    };
    for n in 0..10_000 {
        let mut body = String::new();
        for _ in 0..12 {
            for _ in 0..40 {
                if next(5) == 0 {
                    body.push_str(latin[next(latin.len())]);
                    body.push(' ');
                } else {
                    body.push_str(words[next(words.len())]);
                    body.push_str(["的", "在", "和", "是", "了"][next(5)]);
                }
            }
            body.push_str("。\n\n");
        }
        let (lang, suffix) = if n % 4 == 0 { ("en", ".en") } else { ("zh", "") };
        let _ = lang;
        std::fs::write(
            posts.join(format!("p{n}{suffix}.md")),
            format!("---\ntitle: 第{n}期 {} 与 {}\ndate: 2020-01-01\ntags: [AI]\n---\n{body}", words[n % words.len()], latin[n % latin.len()]),
        )
        .unwrap();
    }
    let started = std::time::Instant::now();
    let built = build_at(dir.path());
    let elapsed = started.elapsed();
    let search: Vec<(&String, usize)> =
        built.output.files.iter().filter(|(p, _)| p.contains("search/") && !p.ends_with(".html")).map(|(p, b)| (p, b.len())).collect();
    let sum = |part: &str| search.iter().filter(|(p, _)| p.contains(part)).map(|(_, n)| n).sum::<usize>() as f64 / 1048576.0;
    let largest = search.iter().filter(|(p, _)| p.contains("shard-")).max_by_key(|(_, n)| *n).map(|(p, n)| (p.as_str(), *n)).unwrap_or(("", 0));
    let largest_docs = search.iter().filter(|(p, _)| p.contains("docs-")).map(|(_, n)| *n).max().unwrap_or(0);
    let pages: usize = built.output.files.iter().filter(|(p, _)| p.ends_with(".html")).map(|(_, b)| b.len()).sum();
    eprintln!(
        "10,000 posts: build {elapsed:.2?}; {} search files: shards {:.1} MiB (largest {} at {} KiB), docs {:.1} MiB (largest {} KiB); HTML pages {:.1} MiB",
        search.len(),
        sum("shard-"),
        largest.0,
        largest.1 / 1024,
        sum("docs-"),
        largest_docs / 1024,
        pages as f64 / 1048576.0,
    );
    assert!(largest.1 < 1024 * 1024, "no single search file over 1 MiB");
    let started = std::time::Instant::now();
    let index = gen_site::render::search::SearchIndex::build(&built.site, "zh");
    let indexed = started.elapsed();
    let files = index.files();
    eprintln!("search index of zh: built in {indexed:.2?}, written in {:.2?} ({} files)", started.elapsed() - indexed, files.len());
    // What the search index and the email edition cost at this size.
    for (what, edit) in [("search off", ("search", "search: false\n")), ("email on", ("email", "email: true\n"))] {
        let started = std::time::Instant::now();
        let b = build_with_config(dir.path(), |c| {
            format!("{}{}", c.lines().filter(|l| !l.starts_with(edit.0)).collect::<Vec<_>>().join("\n") + "\n", edit.1)
        });
        eprintln!("{what}: build {:.2?}, {} files", started.elapsed(), b.output.files.len());
    }
}

// ---------------------------------------------------------------- email

#[test]
fn email_edition_of_every_post() {
    let built = build_at(&fixture());
    for e in built.site.entries.iter().filter(|e| e.post.kind == gen_site::post::Kind::Post) {
        for name in ["email.html", "email.txt"] {
            assert!(built.output.files.contains_key(&format!("{}{name}", e.path)), "{}{name}", e.path);
        }
    }
    assert!(!built.output.files.contains_key("about/email.html"), "pages have no email edition");
    let html = text(&built, "posts/first-issue/email.html");
    assert!(!html.contains("<link rel=\"stylesheet\""), "self-contained");
    let tokens = html::tokenize(&html);
    let container = tokens.iter().find(|t| matches!(t, Token::Start { name, .. } if name == "table") && t.attr("class") == Some("container"));
    assert!(
        container.and_then(|t| t.attr("style")).is_some_and(|s| s.starts_with("width: 100%;max-width: 600px;")),
        "CSS inlined: {}",
        &html[..2000]
    );
    assert!(html.contains("<a href=\"https://example.org/news/letter/posts/first-issue/\""), "view online");
    assert!(html.contains("href=\"https://example.org/unsubscribe?list=letter&amp;id=1\""), "unsubscribe");
    for img in html::tokenize(&html).iter().filter(|t| matches!(t, Token::Start { name, .. } if name == "img")) {
        assert!(img.attr("alt").is_some(), "{img:?}");
        assert!(img.attr("src").is_some_and(|s| s.starts_with("https://")), "{img:?}");
    }
    for needed in ["class=\"comments\"", "class=\"postscript\"", "A book without a URL", "@bob", "class=\"original\""] {
        assert!(html.contains(needed), "{needed}");
    }
    let txt = text(&built, "posts/first-issue/email.txt");
    let original = txt.find("我们还没有开始训练下一个模型。").unwrap();
    let translation = txt.find("We have not started training the next model.").unwrap();
    assert!(original < translation, "original then translation");
    assert!(txt.contains("First issue: <Tags> & \"quotes\" in titles\n=="), "{txt}");
    assert!(txt.contains("Tables and code\n---------------"), "{txt}");
    assert!(txt.contains("the second issue [") && txt.contains("\n[1] https://example.org/news/letter/posts/first-issue/\n"), "{txt}");
    assert!(txt.contains("https://example.org/unsubscribe?list=letter&id=1"), "{txt}");
    assert!(txt.contains("That is all for now.") && txt.contains("A later comment with a link ["), "{txt}");
    assert!(!txt.contains('<') || txt.contains("<Tags>"), "no markup left");

    let off = build_with_config(&fixture(), |c| c.replace("email: {enabled: true,", "email: {enabled: false,"));
    assert!(!off.output.files.keys().any(|k| k.ends_with("email.html") || k.ends_with("email.txt")));
}

// ---------------------------------------------------------------- gen check

#[test]
fn check_reports_broken_links_at_their_source_line() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&fixture(), dir.path());
    let third = dir.path().join("content/posts/2024-03-01-third.md");
    let mut t = std::fs::read_to_string(&third).unwrap();
    t.push_str("\nSee [nowhere](/news/letter/posts/nope/) and [a bad anchor](/news/letter/posts/second/#nothere).\n");
    std::fs::write(&third, t).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gen")).arg("check").arg("--root").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.lines().collect::<Vec<_>>(),
        [
            "content/posts/2024-03-01-third.md:9:15: error: `/news/letter/posts/nope/` is no page of the site (/news/letter/posts/nope/)",
            "  |",
            "9 | See [nowhere](/news/letter/posts/nope/) and [a bad anchor](/news/letter/posts/second/#nothere).",
            "  |               ^",
            "content/posts/2024-03-01-third.md:9:60: error: broken link to /news/letter/posts/second/#nothere: that page has no such id",
            "error: check failed with 2 errors",
        ],
        "{stderr}"
    );
}

// ---------------------------------------------------------------- gen init, gen new

#[test]
fn init_writes_a_site_that_builds_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("letter");
    let now = chrono::DateTime::parse_from_rfc3339("2024-05-06T07:08:09+08:00").unwrap();
    let zone = gen_site::cmd::init::site_zone(now, Some("Asia/Shanghai"));
    let written = gen_site::cmd::init::write(&site, now, zone).unwrap();
    assert_eq!(written, [site.join("config.yaml"), site.join("content/posts/2024-05-06-hello.md")]);
    let files: Vec<PathBuf> = walkdir::WalkDir::new(&site).into_iter().flatten().filter(|e| e.file_type().is_file()).map(|e| e.into_path()).collect();
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(std::fs::read_to_string(site.join("config.yaml")).unwrap().contains("timezone: \"Asia/Shanghai\""));
    let built = build_at(&site);
    let post = text(&built, "posts/hello/index.html");
    assert!(post.contains("<div class=\"bilingual\""), "{post}");
    assert!(gen_site::cmd::check::broken_links(&built.site, &built.output).is_empty());

    // A second init refuses, and leaves the files as they were.
    std::fs::write(site.join("config.yaml"), "mine").unwrap();
    std::fs::remove_file(site.join("content/posts/2024-05-06-hello.md")).unwrap();
    let err = gen_site::cmd::init::write(&site, now, zone).unwrap_err();
    assert!(err.contains("config.yaml already exists") && err.contains("nothing was written"), "{err}");
    assert_eq!(std::fs::read_to_string(site.join("config.yaml")).unwrap(), "mine");
    assert!(!site.join("content/posts/2024-05-06-hello.md").exists());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gen")).arg("init").arg(&site).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn new_writes_a_post_with_front_matter() {
    use gen_site::cmd::new::{Args, create};
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&fixture(), dir.path());
    let root = dir.path().to_path_buf();
    // 03:30 UTC is the evening before in the site's -05:00.
    let now = chrono::DateTime::parse_from_rfc3339("2024-06-02T03:30:00Z").unwrap().to_utc();
    let args = |title: &str, lang: Option<&str>, issue: Option<u32>| Args {
        root: root.clone(),
        title: title.into(),
        lang: lang.map(String::from),
        issue,
        ..Args::default()
    };

    let p = create(&args("Scaling: what's next?", None, None), now).unwrap();
    assert_eq!(p, Path::new("content/posts/2024-06-01-scaling-what-s-next.md"));
    let t = std::fs::read_to_string(root.join(&p)).unwrap();
    assert!(t.starts_with("---\ntitle: \"Scaling: what's next?\"\ndate: 2024-06-01 22:30\nissue: 4\ntags: []\n---\n"), "{t}");

    let p = create(&args("预训练的秘密", Some("zh"), None), now).unwrap();
    assert_eq!(p, Path::new("content/posts/2024-06-01-yu-xun-lian-de-mi-mi.zh.md"));
    assert!(std::fs::read_to_string(root.join(&p)).unwrap().contains("\nissue: 2\n"));

    let p = create(&args("Special", None, Some(9)), now).unwrap();
    assert!(std::fs::read_to_string(root.join(&p)).unwrap().contains("\nissue: 9\n"));

    // Refusals: same file, a used issue, an unknown language.
    let again = create(&args("Scaling: what's next?", None, Some(10)), now).unwrap_err();
    assert_eq!(again.code, 1);
    assert!(again.message.contains("scaling-what-s-next"), "{}", again.message);
    let used = create(&args("Other", None, Some(2)), now).unwrap_err();
    assert!(used.message.contains("issue 2 is already used by content/posts/2024-02-01-second.md"), "{}", used.message);
    assert_eq!(create(&args("X", Some("fr"), None), now).unwrap_err().code, 2);
    // The site still builds with the new posts.
    let built = build_at(&root);
    assert!(built.output.files.contains_key("posts/scaling-what-s-next/index.html"));
    assert!(built.output.files.contains_key("zh/posts/yu-xun-lian-de-mi-mi/index.html"));
}

#[test]
fn translations_are_scaffolded_go_stale_and_are_refreshed() {
    use gen_site::cmd::new::{Args, create};
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&fixture(), dir.path());
    let root = dir.path().to_path_buf();
    let now = chrono::DateTime::parse_from_rfc3339("2024-06-02T03:30:00Z").unwrap().to_utc();
    let translate = |post: &str, lang: Option<&str>, refresh: bool| {
        create(&Args { root: root.clone(), lang: lang.map(String::from), translate: Some(post.into()), refresh, ..Args::default() }, now)
    };
    // Into the other language by default; the front matter carried over, the original recorded.
    let p = translate("posts/2024-02-01-second.md", None, false).unwrap();
    assert_eq!(p, Path::new("content/posts/2024-02-01-second.zh.md"));
    let scaffold = std::fs::read_to_string(root.join(&p)).unwrap();
    assert!(scaffold.contains("\ntranslated_from:\n  lang: en\n  title: \""), "{scaffold}");
    assert!(scaffold.contains("\ndate: "), "{scaffold}");
    // Refusals: it exists now, a missing file, a language the site lacks, its own language.
    let again = translate("content/posts/2024-02-01-second.md", Some("zh"), false).unwrap_err();
    assert!(again.message.contains("--refresh"), "{}", again.message);
    let missing = translate("posts/2024-02-01-secnd.md", Some("zh"), false).unwrap_err();
    assert_eq!(missing.code, 2);
    assert!(missing.message.contains("did you mean `posts/2024-02-01-second.md`"), "{}", missing.message);
    assert_eq!(translate("posts/2024-02-01-second.md", Some("fr"), false).unwrap_err().code, 2);
    assert_eq!(translate("posts/2024-02-01-second.md", Some("en"), false).unwrap_err().code, 2);

    let notice = "<aside class=\"translation-notice\"";
    let page = "zh/posts/second/index.html";
    let built = build_at(&root);
    assert!(!text(&built, page).contains(notice));
    assert!(gen_site::translation::stale(&built.site).is_empty());
    // The original changes: the translation is stale until it is refreshed.
    let original = root.join("content/posts/2024-02-01-second.md");
    let body = std::fs::read_to_string(&original).unwrap();
    std::fs::write(&original, format!("{body}\nA new closing paragraph.\n")).unwrap();
    let built = build_at(&root);
    assert!(text(&built, page).contains(notice), "{}", text(&built, page));
    let stale = gen_site::translation::stale(&built.site);
    assert_eq!(stale.len(), 1);
    assert!(stale[0].to_string().starts_with("content/posts/2024-02-01-second.zh.md:"), "{}", stale[0]);
    assert!(stale[0].message.contains("1 of "), "{}", stale[0].message);
    use gen_site::cmd::status::{State, status};
    let table = status(&built.site);
    let row = table.posts.iter().find(|r| r.post == "posts/2024-02-01-second").unwrap();
    assert_eq!((row.versions["en"].state, row.versions["zh"].state), (State::Original, State::Stale));
    let third = table.posts.iter().find(|r| r.post == "posts/2024-03-01-third").unwrap();
    assert_eq!(third.versions["zh"].state, State::Missing);
    translate("posts/2024-02-01-second.md", Some("zh"), true).unwrap();
    let built = build_at(&root);
    assert!(!text(&built, page).contains(notice));
    // A translation without `translated_from` is never stale.
    let first = root.join("content/posts/2024-01-10-first-issue.md");
    std::fs::write(&first, std::fs::read_to_string(&first).unwrap() + "\nMore.\n").unwrap();
    assert!(gen_site::translation::stale(&build_at(&root).site).is_empty());
}

#[test]
fn untranslated_posts_are_listed_in_their_own_language_when_asked() {
    let hidden = build_at(&fixture());
    assert!(!text(&hidden, "zh/index.html").contains("/news/letter/posts/third/"));
    let built = build_with_config(&fixture(), |c| format!("{c}untranslated: list\n"));
    // Listed on the Chinese index, archive and feeds, marked English, linking to the original.
    let index = text(&built, "zh/index.html");
    assert!(index.contains("<article class=\"card\" lang=\"en\">"), "{index}");
    assert!(index.contains("<a href=\"/news/letter/posts/third/\" hreflang=\"en\">"), "{index}");
    assert!(index.contains("<span class=\"untranslated-badge\" lang=\"zh\">仅有English版</span>"), "{index}");
    assert!(text(&built, "zh/archive/index.html").contains("<li lang=\"en\">"));
    assert!(text(&built, "zh/atom.xml").contains("<entry xml:lang=\"en\">"));
    assert!(text(&built, "zh/feed.json").contains("https://example.org/news/letter/posts/third/"));
    // No page, alternate or sitemap entry for a translation that does not exist; the canonical stays.
    assert!(!built.output.files.contains_key("zh/posts/third/index.html"));
    let sitemap = text(&built, "sitemap.xml");
    assert!(!sitemap.contains("zh/posts/third/"), "{sitemap}");
    let page = text(&built, "posts/third/index.html");
    assert!(page.contains("<link rel=\"canonical\" href=\"https://example.org/news/letter/posts/third/\">"), "{page}");
    assert!(!page.contains("hreflang=\"zh\" href=\"https://example.org/news/letter/zh/posts/third/"), "{page}");
    // Tag pages stay per language; the English lists are as before.
    assert_eq!(text(&built, "zh/tags/index.html"), text(&hidden, "zh/tags/index.html"));
    assert_eq!(text(&built, "index.html"), text(&hidden, "index.html"));
}

#[test]
fn translated_tags_are_alternates_of_each_other() {
    let built = build_with_config(&fixture(), |c| format!("{c}tags: {{Pre-training: {{zh: 预训练}}}}\n"));
    let zh_slug = gen_site::slug::tag_slug("预训练");
    let en = text(&built, "tags/pre-training/index.html");
    let zh_url = format!("https://example.org/news/letter/zh/tags/{zh_slug}/");
    assert!(en.contains(&format!("<link rel=\"alternate\" hreflang=\"zh\" href=\"{zh_url}\">")), "{en}");
    let zh = text(&built, &format!("zh/tags/{zh_slug}/index.html"));
    assert!(zh.contains("<link rel=\"alternate\" hreflang=\"en\" href=\"https://example.org/news/letter/tags/pre-training/\">"), "{zh}");
    // The language switcher leads there too, and the sitemap says so.
    assert!(zh.contains("<a href=\"/news/letter/tags/pre-training/\" hreflang=\"en\""), "{zh}");
    let sitemap = text(&built, "sitemap.xml");
    let entry = sitemap.split("<url>").find(|u| u.contains("<loc>https://example.org/news/letter/tags/pre-training/</loc>")).unwrap();
    let encoded = format!("https://example.org/news/letter/zh/tags/{}/", gen_site::slug::encode_segment(&zh_slug));
    assert!(entry.contains(&format!("hreflang=\"zh\" href=\"{encoded}\"")), "{entry}");
    // Without the translation they are separate tags.
    let plain = text(&build_at(&fixture()), "tags/pre-training/index.html");
    assert!(!plain.contains("hreflang=\"zh\" href=\"https://example.org/news/letter/zh/tags/"), "{plain}");
}

// ---------------------------------------------------------------- listings

/// A site of `n` Chinese posts, all tagged `长列表`, numbered by issue.
fn many_posts(n: usize, config: &str) -> Built {
    let mut sources = disk::Sources { config: Some(config.to_string()), ..Default::default() };
    for k in 1..=n {
        let text = format!("---\ntitle: 第{k}期\ndate: 2024-01-01T00:00:00+08:00\nissue: {k}\ntags: [长列表]\n---\n正文 {k}。\n");
        let date = format!("2024-{:02}-{:02}", 1 + (k - 1) / 28 % 12, 1 + (k - 1) % 28);
        sources.content.insert(format!("posts/p{k:03}.md"), text.replace("2024-01-01", &date).into_bytes());
    }
    build::build(&sources, &BuildOptions::default()).unwrap_or_else(|e| panic!("build failed: {e:?}"))
}

#[test]
fn tag_pages_and_the_archive_paginate() {
    let config =
        "title: 长列表\nbase_url: https://example.org/sub/\nlanguages: [zh]\npaginate: 10\npaginate_archive: 9\nsearch: false\nemail: false\n";
    let built = many_posts(23, config);
    let tag = |n: &str| text(&built, &format!("tags/长列表/{n}index.html"));
    // 23 posts, 10 per page: three pages, newest first, each linking to the others.
    let shows = |page: &str, k: usize| page.contains(&format!(">第{k}期</a>"));
    let first = tag("");
    assert!(shows(&first, 23) && shows(&first, 14) && !shows(&first, 13), "{first}");
    assert!(first.contains("<a rel=\"next\" href=\"/sub/tags/%E9%95%BF%E5%88%97%E8%A1%A8/page/2/\">"), "{first}");
    let last = tag("page/3/");
    assert!(shows(&last, 3) && shows(&last, 1) && !shows(&last, 4), "{last}");
    assert!(last.contains("rel=\"prev\"") && !last.contains("rel=\"next\""));
    assert!(!built.output.files.contains_key("tags/长列表/page/4/index.html"));
    assert!(!built.output.files.contains_key("tags/长列表/page/1/index.html"), "page 1 is the tag's own URL");
    // The archive: nine a page, grouped by year on each.
    for n in 2..=3 {
        let page = text(&built, &format!("archive/page/{n}/index.html"));
        assert!(page.contains("<h2 id=\"y2024\">2024</h2>"), "{page}");
        assert_eq!(page.matches("<li>").count(), if n == 3 { 5 } else { 9 }, "{page}");
    }
    assert!(!built.output.files.contains_key("archive/page/4/index.html"));
    // Every page is in the sitemap; only first pages have language versions.
    let sitemap = text(&built, "sitemap.xml");
    for loc in ["tags/%E9%95%BF%E5%88%97%E8%A1%A8/page/3/", "archive/page/3/", "archive/", "page/3/"] {
        assert!(sitemap.contains(&format!("<loc>https://example.org/sub/{loc}</loc>")), "{loc}: {sitemap}");
    }
}

#[test]
fn zero_paginate_archive_is_an_error() {
    let mut sources = disk::Sources { config: Some("title: t\nbase_url: https://example.org/\npaginate_archive: 0\n".into()), ..Default::default() };
    sources.content.insert("posts/a.md".into(), b"---\ntitle: a\n---\nx\n".to_vec());
    let errors = build::build(&sources, &BuildOptions::default()).err().expect("an error");
    assert_eq!(errors[0].to_string().lines().next().unwrap(), "config.yaml:3:19: error: paginate_archive must be at least 1");
}

#[test]
fn the_translation_commands_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&fixture(), dir.path());
    let run = |args: &[&str]| std::process::Command::new(env!("CARGO_BIN_EXE_gen")).args(args).arg("--root").arg(dir.path()).output().unwrap();
    let stderr = |out: &std::process::Output| String::from_utf8_lossy(&out.stderr).into_owned();
    // Usage errors: exit 2, nothing written.
    let out = run(&["new", "--translate", "posts/2024-02-01-secnd.md", "--lang", "zh"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("did you mean `posts/2024-02-01-second.md`"), "{}", stderr(&out));
    assert_eq!(run(&["new", "--translate", "posts/2024-02-01-second.md", "--lang", "de"]).status.code(), Some(2));
    assert_eq!(run(&["new", "--refresh", "Title"]).status.code(), Some(2));
    assert!(!dir.path().join("content/posts/2024-02-01-second.zh.md").exists());
    // Scaffold, then the original changes: build warns, check --translations fails, status says stale.
    let out = run(&["new", "--translate", "posts/2024-02-01-second.md"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Created content/posts/2024-02-01-second.zh.md\n");
    assert!(run(&["check", "--translations"]).status.success());
    let original = dir.path().join("content/posts/2024-02-01-second.md");
    std::fs::write(&original, std::fs::read_to_string(&original).unwrap() + "\nOne more paragraph.\n").unwrap();
    let out = run(&["build"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let warnings: Vec<String> = stderr(&out).lines().filter(|l| l.contains(": warning: ")).map(String::from).collect();
    assert_eq!(warnings.len(), 1, "{}", stderr(&out));
    assert!(warnings[0].starts_with("content/posts/2024-02-01-second.zh.md:"), "{}", warnings[0]);
    assert!(warnings[0].contains("changed after this translation was made: 1 of "), "{}", warnings[0]);
    assert_eq!(run(&["check", "--translations"]).status.code(), Some(1));
    assert!(run(&["check"]).status.success());
    let out = run(&["status", "--json"]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = json["posts"].as_array().unwrap().iter().find(|r| r["post"] == "posts/2024-02-01-second").unwrap();
    assert_eq!((row["versions"]["en"]["state"].as_str(), row["versions"]["zh"]["state"].as_str()), (Some("original"), Some("stale")));
    let table = String::from_utf8_lossy(&run(&["status"]).stdout).into_owned();
    assert!(table.lines().any(|l| l.starts_with("2024-02-01-second ") && l.ends_with("STALE")), "{table}");
    // Refreshed: fresh again.
    assert!(run(&["new", "--translate", "posts/2024-02-01-second.md", "--refresh"]).status.success());
    assert!(run(&["check", "--translations"]).status.success());
    // A scaffold whose `@/…#anchor` now leads to the translated target, which names its headings
    // differently: written, and the problem said at once.
    let out = run(&["new", "--translate", "posts/2024-03-01-third.md"]);
    assert!(out.status.success());
    assert!(stderr(&out).starts_with("warning: content/posts/2024-03-01-third.zh.md does not build as it is"), "{}", stderr(&out));
    assert!(stderr(&out).contains("has no anchor `#tables`"), "{}", stderr(&out));
}
