//! The incremental engine of the live preview gives, after every kind of edit,
//! exactly the output a full build of the same files gives.
//!
//! A synthetic site (benches/gen_corpus.rs) is built once; then posts, tags,
//! dates, slugs, translations, comments, assets, templates and config.yaml
//! change one at a time, and after each change the engine's output and the
//! changes it reports are compared with a fresh `gen build` of the folder.
//! Then random edit sequences (seeded; `GEN_EDIT_STEPS=N` for longer runs) do
//! the same over the default theme and over a theme whose templates call
//! `get_posts`/`get_post` and show every key of a card. The scripted edits
//! run with the output written into a preview folder, as `gen serve` does;
//! the random ones with the output in memory.

#[allow(dead_code)]
#[path = "../benches/gen_corpus.rs"]
mod corpus;

use gen_site::build::{self, BuildOptions};
use gen_site::disk::{self, PreviewFolder};
use gen_site::incremental::{Changes, Incremental};
use gen_site::output::Output;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn options() -> BuildOptions {
    BuildOptions { drafts: true, base_url: Some("http://127.0.0.1:1111/".into()) }
}

fn full(root: &Path) -> Result<Output, Vec<gen_site::error::Error>> {
    let sources = disk::load(root)?;
    build::build(&sources, &options()).map(|b| b.output)
}

/// The paths whose bytes differ between two outputs (`a` may be written in a
/// preview folder: its files are read back from there).
fn differences(a: &Output, b: &Output) -> Vec<String> {
    let mut d: Vec<String> = a.files.keys().filter(|k| b.files.get(*k).map(|v| v.to_vec()) != a.read(k)).cloned().collect();
    d.extend(b.files.keys().filter(|k| !a.files.contains_key(*k)).cloned());
    d.sort();
    d
}

struct Site {
    dir: tempfile::TempDir,
    inc: Incremental,
    last: Output,
    /// Where the output is written, when it is not held in memory.
    folder: Option<(tempfile::TempDir, Arc<PreviewFolder>)>,
}

impl Site {
    /// A generated site of `posts` posts, built with the output in memory.
    fn new(posts: usize) -> Site {
        Site::build(posts, None)
    }

    /// [`Site::new`], with the output written into a preview folder.
    fn in_folder(posts: usize) -> Site {
        let parent = tempfile::tempdir().unwrap();
        let folder = PreviewFolder::create_in(parent.path()).unwrap();
        Site::build(posts, Some((parent, folder)))
    }

    fn build(posts: usize, folder: Option<(tempfile::TempDir, Arc<PreviewFolder>)>) -> Site {
        let dir = tempfile::tempdir().unwrap();
        corpus::generate(posts, dir.path(), 7);
        let mut inc = match &folder {
            Some((_, f)) => Incremental::writing_to(dir.path(), options(), Arc::clone(f)),
            None => Incremental::new(dir.path(), options()),
        };
        inc.build().unwrap();
        let last = full(dir.path()).unwrap();
        assert_eq!(differences(inc.output(), &last), Vec::<String>::new(), "first build");
        Site { dir, inc, last, folder }
    }

    /// With a preview folder: it holds the output's files and nothing else
    /// (once the folders of earlier full builds are removed), and it is
    /// empty once the engine is gone.
    fn check_folder(self) {
        let Some((_parent, folder)) = self.folder else { return };
        let listed = |dir: &Path| -> Vec<String> {
            let mut files: Vec<String> = walkdir::WalkDir::new(dir)
                .into_iter()
                .map(|e| e.unwrap())
                .filter(|e| e.file_type().is_file())
                .map(|e| e.path().strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/"))
                .collect();
            files.sort();
            files
        };
        let generations = || fs::read_dir(folder.path()).unwrap().map(|e| e.unwrap().path()).collect::<Vec<_>>();
        let waited = |done: &dyn Fn() -> bool| (0..200).any(|_| done() || (std::thread::sleep(std::time::Duration::from_millis(50)), false).1);
        assert!(waited(&|| generations().len() == 1), "the folders of earlier builds are removed: {:?}", generations());
        // The folder holds the last full build's files (later changes may be held in memory).
        let paths: Vec<String> = self.inc.output().files.keys().cloned().collect();
        let on_disk = listed(&generations()[0]);
        assert!(on_disk.iter().all(|p| !p.contains(".gen-tmp-")), "no temporary files are left: {on_disk:?}");
        assert!(paths.iter().filter(|p| !on_disk.contains(p)).count() < paths.len() / 2, "the preview folder holds the output");
        drop(self.inc);
        assert!(waited(&|| generations().is_empty()), "a dropped engine's folder is removed: {:?}", generations());
        folder.remove();
        assert!(!folder.path().exists());
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn posts(&self) -> Vec<String> {
        let mut names: Vec<String> =
            fs::read_dir(self.root().join("content/posts")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.root().join(rel)).unwrap()
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.root().join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    fn remove(&self, rel: &str) {
        fs::remove_file(self.root().join(rel)).unwrap();
    }

    /// Tell the engine `changed`; check its output against a full build, and
    /// its reported changes against the outputs before and after. Returns
    /// the changes of the update and of `catch_up` together.
    fn check(&mut self, what: &str, changed: &[&str]) -> Changes {
        let paths: Vec<PathBuf> = changed.iter().map(PathBuf::from).collect();
        let fast = self.inc.update(&paths).unwrap_or_else(|e| panic!("{what}: {}", e[0]));
        let expected = full(self.root()).unwrap_or_else(|e| panic!("{what}: full build failed: {}", e[0]));
        // Before `finish`, only the search index, the later pages of listings and the sitemap may lag behind.
        let lag = |p: &String| p.contains("search/") || p.contains("page/") || p == "sitemap.xml";
        let stale: Vec<String> = differences(self.inc.output(), &expected).into_iter().filter(|p| !lag(p)).collect();
        assert_eq!(stale, Vec::<String>::new(), "{what}: differs from a full build before finish");
        let behind = self.inc.catch_up().unwrap_or_else(|e| panic!("{what}: {}", e[0]));
        let rest = self.inc.finish().unwrap_or_else(|e| panic!("{what}: {}", e[0]));
        assert_eq!(differences(self.inc.output(), &expected), Vec::<String>::new(), "{what}: differs from a full build");
        assert!(!self.inc.pending());
        let mut reported: Vec<String> = fast.paths().into_iter().chain(behind.paths()).chain(rest.paths()).collect();
        reported.sort();
        reported.dedup();
        assert_eq!(reported, differences(&self.last, &expected), "{what}: reported changes");
        self.last = expected;
        let mut all = fast;
        all.merge(behind);
        all
    }
}

#[test]
fn every_kind_of_edit_matches_a_full_build() {
    let mut site = Site::in_folder(130);
    let posts = site.posts();
    let zh: Vec<&String> = posts.iter().filter(|p| !p.ends_with(".en.md")).collect();
    let en: Vec<&String> = posts.iter().filter(|p| p.ends_with(".en.md")).collect();
    let rel = |name: &str| format!("content/posts/{name}");

    // A sentence in the middle of a body: the post, its email edition, feeds.
    let a = rel(zh[60]);
    let text = site.read(&a).replace("<!-- more -->", "<!-- more -->\n\n新增的一段话，用于测试增量构建。");
    site.write(&a, &text);
    let changes = site.check("body edit", &[&a]);
    assert!(changes.written.len() <= 6, "a body edit rewrote {:?}", changes.written);
    assert!(changes.written.iter().all(|p| !p.contains("tags/")), "{:?}", changes.written);

    // Bodies of the newest post (in the feeds) and of a translated post that
    // others list as related (their pages show it).
    let newest = rel(zh.last().unwrap());
    let text = site.read(&newest).replace("<!-- more -->", "<!-- more -->\n\n最新一篇的新段落。");
    site.write(&newest, &text);
    site.check("newest body edit", &[&newest]);
    let texts: Vec<String> = posts.iter().map(|p| site.read(&rel(p))).collect();
    let shared = zh
        .iter()
        .find(|z| {
            let slug = z.get(11..).unwrap_or_default().trim_end_matches(".md");
            let translated = en.iter().any(|e| e.trim_end_matches(".en.md") == z.trim_end_matches(".md"));
            translated && texts.iter().any(|t| t.lines().any(|l| l.starts_with("related:") && l.contains(slug)))
        })
        .expect("a translated post that others list as related");
    let g = rel(shared);
    let text = site.read(&g).replace("<!-- more -->", "<!-- more -->\n\n多了一句话。");
    site.write(&g, &text);
    site.check("related body edit", &[&g]);

    // Nothing changed: nothing written.
    let changes = site.check("no change", &[&a]);
    assert!(changes.is_empty(), "{changes:?}");

    // The title: lists that show the post change too.
    let text = site.read(&a).replacen("title: \"", "title: \"新标题：", 1);
    site.write(&a, &text);
    site.check("title edit", &[&a]);

    // A page's title: every page names the pages in its navigation.
    let about = "content/pages/about.md";
    let text = site.read(about).replacen("title: ", "title: 关于我们 ", 1);
    site.write(about, &text);
    let changes = site.check("page title edit", &[about]);
    assert!(changes.written.iter().any(|p| p.starts_with("tags/")), "{:?}", changes.written);

    // The summary (first paragraph).
    let text = site.read(&a).replace("\n---\n", "\n---\n开头加一句。");
    site.write(&a, &text);
    site.check("summary edit", &[&a]);

    // Tags added and removed.
    let text = site.read(&a).replacen("tags: [", "tags: [\"增量\", ", 1);
    site.write(&a, &text);
    site.check("tag added", &[&a]);
    let text = site.read(&a).replacen("tags: [\"增量\", ", "tags: [", 1);
    site.write(&a, &text);
    site.check("tag removed", &[&a]);

    // A date that moves the post to another index page and year.
    let b = rel(zh[10]);
    let text = site.read(&b);
    let date_line = text.lines().find(|l| l.starts_with("date: ")).unwrap().to_string();
    site.write(&b, &text.replacen(&date_line, "date: 2030-01-01 08:00", 1));
    site.check("date moved", &[&b]);

    // An `updated` date: the post's `lastmod` in the sitemap, not its place.
    let text = site.read(&b);
    site.write(&b, &text.replacen("date: 2030-01-01 08:00", "date: 2030-01-01 08:00\nupdated: 2030-06-01 08:00", 1));
    site.check("updated added", &[&b]);

    // A new post, then the same post gone.
    let c = "content/posts/2031-02-03-brand-new.md";
    site.write(c, "---\ntitle: 全新的文章\ndate: 2031-02-03 09:00\ntags: [开源, Rust]\nissue: 9999\n---\n第一段。\n\n## 小节\n\n正文，链接到[旧文](@/posts/PLACEHOLDER)。\n".replace("PLACEHOLDER", zh[3]).as_str());
    site.check("post added", &[c]);
    site.remove(c);
    site.check("post removed", &[c]);

    // A translation added and removed.
    let base = zh.iter().find(|z| !en.iter().any(|e| e.trim_end_matches(".en.md") == z.trim_end_matches(".md"))).unwrap();
    let t = rel(&base.replace(".md", ".en.md"));
    site.write(&t, "---\ntitle: A new translation\ndate: 2020-01-01\ntags: [Rust]\n---\nTranslated text.\n");
    site.check("translation added", &[&t]);
    site.remove(&t);
    site.check("translation removed", &[&t]);

    // A slug change: posts that link to it (`@/`) follow. (One that another
    // post lists in `related` would be an error, as in a full build.)
    let texts: Vec<String> = posts.iter().map(|p| site.read(&rel(p))).collect();
    let linked = zh
        .iter()
        .find(|z| {
            let slug = z.get(11..).unwrap_or_default().trim_end_matches(".md");
            let related = texts.iter().any(|t| t.lines().any(|l| l.starts_with("related:") && l.contains(slug)));
            !related && texts.iter().any(|t| t.contains(&format!("@/posts/{z}")))
        })
        .expect("a post that is linked to and not related");
    let d = rel(linked);
    let text = site.read(&d);
    site.write(&d, &text.replacen("---\n", "---\nslug: renamed-post\n", 1));
    site.check("slug changed", &[&d]);

    // A draft appears (the preview shows drafts).
    let text = site.read(&d);
    site.write(&d, &text.replacen("---\n", "---\ndraft: true\n", 1));
    site.check("draft", &[&d]);

    // Reader comments added later, changed, removed.
    let slug = "renamed-post";
    let cfile = format!("content/comments/{slug}.yaml");
    site.write(&cfile, "- author: 新读者\n  body: 写得好。\n");
    site.check("comments added", &[&cfile]);
    site.write(&cfile, "- author: 新读者\n  body: 写得很好。\n");
    site.check("comments changed", &[&cfile]);
    site.remove(&cfile);
    site.check("comments removed", &[&cfile]);

    // An asset.
    site.write("content/images/logo.svg", "<svg/>");
    site.check("asset added", &["content/images/logo.svg"]);
    site.write("content/images/logo.svg", "<svg></svg>");
    site.check("asset changed", &["content/images/logo.svg"]);
    site.remove("content/images/logo.svg");
    site.check("asset removed", &["content/images/logo.svg", "content/images"]);

    // Editor leftovers are not content.
    site.write("content/posts/.x.md.swp", "junk");
    let changes = site.check("swap file", &["content/posts/.x.md.swp"]);
    assert!(changes.is_empty());

    // A template of the site's own, then gone: everything is rendered again.
    let page = "themes/default/templates/page.html";
    site.write(page, "{% extends \"base.html\" %}{% block content %}<main class=\"own\">{{ page.content | safe }}</main>{% endblock content %}");
    site.check("template added", &[page]);
    site.remove(page);
    site.check("template removed", &[page]);

    // config.yaml.
    let config = site.read("config.yaml");
    site.write("config.yaml", &config.replace("paginate: 10", "paginate: 7"));
    site.check("config changed", &["config.yaml"]);

    // Several files at once, reported through their folder.
    let e = rel(zh[20]);
    let f = rel(zh[21]);
    let text = site.read(&e).replace("<!-- more -->", "<!-- more -->\n\n又一段。");
    site.write(&e, &text);
    let text = site.read(&f).replacen("title: \"", "title: \"改：", 1);
    site.write(&f, &text);
    site.check("a folder", &["content/posts"]);
    site.check_folder();
}

#[test]
fn errors_keep_the_last_good_output_and_recover() {
    let mut site = Site::in_folder(25);
    let name = site.posts()[5].clone();
    let a = format!("content/posts/{name}");
    let good = site.read(&a);
    let before = site.inc.output().clone();
    site.write(&a, &good.replacen("title:", "titel:", 1));
    let errors = site.inc.update(&[PathBuf::from(&a)]).unwrap_err();
    assert!(errors[0].to_string().contains("titel"), "{}", errors[0]);
    assert_eq!(site.inc.output(), &before, "a failed build leaves the output as it was");
    drop(before);
    // A link to a post that does not exist: an error at render time of the site.
    site.write(&a, &good.replace("<!-- more -->", "<!-- more -->\n\n[坏链接](@/posts/nope.md)"));
    assert!(site.inc.update(&[PathBuf::from(&a)]).is_err());
    assert_eq!(differences(site.inc.output(), &site.last), Vec::<String>::new(), "a failed build leaves the files as they were");
    site.write(&a, &good.replace("<!-- more -->", "<!-- more -->\n\n修好了。"));
    site.check("fixed", &[&a]);
    site.check_folder();
}

#[test]
fn search_is_left_stale_until_finish() {
    let mut site = Site::new(25);
    let name = site.posts()[3].clone();
    let a = format!("content/posts/{name}");
    let text = site.read(&a).replace("<!-- more -->", "<!-- more -->\n\n独一无二的搜索词语。");
    site.write(&a, &text);
    site.inc.update(&[PathBuf::from(&a)]).unwrap();
    // Its card changed (the word count): later index pages that list it are left for `catch_up`.
    site.inc.catch_up().unwrap();
    assert!(!site.inc.behind() && site.inc.pending());
    let changes = site.inc.finish().unwrap();
    assert!(changes.written.iter().all(|p| p.contains("search/")), "{:?}", changes.written);
    assert!(!changes.written.is_empty());
    assert!(!site.inc.pending());
    assert_eq!(differences(site.inc.output(), &full(site.root()).unwrap()), Vec::<String>::new());

    // Built on another thread; an index for a site that changed meanwhile is dropped.
    site.write(&a, &text.replace("独一无二", "再改一次"));
    site.inc.update(&[PathBuf::from(&a)]).unwrap();
    let task = site.inc.search_task().expect("a stale index");
    let old = std::thread::spawn(move || task.run());
    site.write(&a, &text.replace("独一无二", "第三次"));
    site.inc.update(&[PathBuf::from(&a)]).unwrap();
    assert!(site.inc.apply_search(old.join().unwrap()).is_none());
    assert!(site.inc.pending());
    let task = site.inc.search_task().unwrap();
    let index = std::thread::spawn(move || task.run()).join().unwrap();
    assert!(site.inc.apply_search(index).is_some());
    // The card of the post changed (its word count): the later index pages that list it follow.
    site.inc.catch_up().unwrap();
    assert!(!site.inc.pending());
    assert_eq!(differences(site.inc.output(), &full(site.root()).unwrap()), Vec::<String>::new());
}

#[test]
fn a_new_post_serves_its_page_first_and_the_shifted_pages_next() {
    let mut site = Site::new(60);
    let before = site.inc.output().clone();
    let c = "content/posts/2031-05-06-newest.md";
    site.write(c, "---\ntitle: 最新\ndate: 2031-05-06 09:00\ntags: [Rust]\n---\n最新的一篇。\n");
    let first = site.inc.update(&[PathBuf::from(c)]).unwrap();
    assert!(site.inc.behind() && site.inc.pending());
    assert!(first.written.contains(&"posts/newest/index.html".to_string()) && first.written.contains(&"index.html".to_string()), "{first:?}");
    // Only a page the lists did not have yet (the index grew by a page) is rendered at once.
    assert!(first.written.iter().all(|p| !p.contains("page/") || !before.files.contains_key(p)), "{first:?}");
    let expected = full(site.root()).unwrap();
    let lagging = differences(site.inc.output(), &expected);
    assert!(lagging.iter().any(|p| p.starts_with("page/")), "{lagging:?}");
    // The sitemap, which lists the new page, follows with the later pages.
    assert!(lagging.contains(&"sitemap.xml".to_string()), "{lagging:?}");
    assert!(lagging.iter().all(|p| p.contains("page/") || p.starts_with("search/") || p == "sitemap.xml"), "{lagging:?}");
    let next = site.inc.catch_up().unwrap();
    assert!(!site.inc.behind());
    assert!(!next.is_empty() && next.written.iter().all(|p| p.contains("page/") || p == "sitemap.xml"), "{next:?}");
    site.inc.finish().unwrap();
    assert_eq!(differences(site.inc.output(), &expected), Vec::<String>::new());
    // Deleted, and not caught up: the next update renders what it left behind.
    site.remove(c);
    site.inc.update(&[PathBuf::from(c)]).unwrap();
    assert!(site.inc.behind());
    site.inc.update(&[PathBuf::from(c)]).unwrap();
    assert!(!site.inc.behind());
    let lagging: Vec<String> = differences(site.inc.output(), &before).into_iter().filter(|p| !p.starts_with("search/")).collect();
    assert_eq!(lagging, Vec::<String>::new());
    site.inc.finish().unwrap();
    assert_eq!(differences(site.inc.output(), &full(site.root()).unwrap()), Vec::<String>::new());
}

#[test]
fn a_translation_notice_follows_edits_of_its_original() {
    let mut site = Site::new(30);
    let posts = site.posts();
    let en = posts.iter().find(|p| p.ends_with(".en.md")).expect("a translation");
    let original = format!("content/posts/{}", en.replace(".en.md", ".md"));
    let translation = format!("content/posts/{en}");
    // The translation records its original as it is now.
    let args = gen_site::cmd::new::Args {
        root: site.root().to_path_buf(),
        translate: Some(original.clone()),
        lang: Some("en".into()),
        refresh: true,
        ..Default::default()
    };
    gen_site::cmd::new::create(&args, chrono::Utc::now()).unwrap();
    site.check("translated_from added", &[&translation]);
    let notice = "<aside class=\"translation-notice\"";
    let shows_notice =
        |site: &Site| site.inc.output().files.iter().any(|(p, b)| p.starts_with("en/posts/") && String::from_utf8_lossy(b).contains(notice));
    assert!(!shows_notice(&site));
    // A body edit of the original (the short way): the translation's page now shows the notice.
    let text = site.read(&original);
    site.write(&original, &format!("{text}\n原文新增的一段。\n"));
    let changes = site.check("original edited", &[&original]);
    assert!(changes.written.iter().any(|p| p.starts_with("en/posts/")), "{:?}", changes.written);
    assert!(shows_notice(&site));
    // Back as it was: the notice goes.
    site.write(&original, &text);
    site.check("original restored", &[&original]);
    assert!(!shows_notice(&site));

    // Untranslated posts listed in the other language: a title edit of one reaches those lists too.
    let config = site.read("config.yaml");
    site.write("config.yaml", &format!("{config}\nuntranslated: list\n"));
    site.check("untranslated listed", &["config.yaml"]);
    let alone = posts
        .iter()
        .find(|p| !p.ends_with(".en.md") && !posts.contains(&p.replace(".md", ".en.md")))
        .map(|p| format!("content/posts/{p}"))
        .expect("a post without a translation");
    let text = site.read(&alone).replacen("title: \"", "title: \"改过的标题：", 1);
    site.write(&alone, &text);
    let changes = site.check("untranslated title edit", &[&alone]);
    assert!(changes.written.iter().any(|p| p.starts_with("en/") && !p.starts_with("en/posts/")), "{:?}", changes.written);
    // Its summary (a body edit, the short way), likewise.
    let text = site.read(&alone).replacen("\n---\n", "\n---\n摘要前加的一句。", 1);
    site.write(&alone, &text);
    let changes = site.check("untranslated summary edit", &[&alone]);
    assert!(changes.written.iter().any(|p| p.starts_with("en/") && !p.starts_with("en/posts/")), "{:?}", changes.written);
}

/// Templates of a theme that reach the site through the template functions
/// and show every key of a card: a sidebar of the newest posts on every post,
/// a tag's posts and one fixed post on every index page.
const READING_THEME: &[(&str, &str)] = &[
    (
        "themes/default/templates/index.html",
        "{% extends \"base.html\" %}{% block content %}\
         {% for post in paginator.posts %}<article>{% for k, v in post %}<span data-k=\"{{ k }}\">{{ v | json_encode }}</span>{% endfor %}</article>{% endfor %}\
         {% for p in get_posts(lang=lang, tag=\"Rust\", limit=3) %}<a href=\"{{ p.url }}\">{{ p.title }} {{ p.date }}</a>{% endfor %}\
         {% set fixed = get_post(path=\"pages/about.md\", lang=lang) %}<p>{{ fixed.title }}</p>\
         {% endblock content %}",
    ),
    (
        "themes/default/templates/post.html",
        "{% extends \"base.html\" %}{% block content %}<h1>{{ page.title }}</h1>{{ page.content | safe }}\
         <aside>{% for p in get_posts(lang=lang, limit=2) %}<a href=\"{{ p.url }}\">{{ p.title }}</a>{{ p.summary }}{% endfor %}</aside>\
         {% for t in page.translations %}{% set other = get_post(path=page.source_path, lang=t.lang) %}<a href=\"{{ other.url }}\">{{ other.title }}</a>{% endfor %}\
         {% endblock content %}",
    ),
];

/// One random edit of the site: what it touched, with the files' texts before
/// (`None`: the file did not exist) so that a broken edit can be undone.
fn random_edit(site: &Site, rng: &mut corpus::Rng, step: usize) -> (String, Vec<(String, Option<String>)>) {
    let posts = site.posts();
    let name = rng.pick(&posts).clone();
    let a = format!("content/posts/{name}");
    let text = site.read(&a);
    let before = |p: &str| -> (String, Option<String>) { (p.to_string(), fs::read_to_string(site.root().join(p)).ok()) };
    let fm_end = text[4..].find("\n---\n").map_or(text.len(), |i| i + 4);
    let (front, body) = text.split_at(fm_end);
    let set = |key: &str, value: &str| -> String {
        let mut lines: Vec<String> = front.lines().filter(|l| !l.starts_with(&format!("{key}:"))).map(str::to_string).collect();
        lines.insert(1, format!("{key}: {value}"));
        format!("{}{body}", lines.join("\n"))
    };
    let kinds = 16;
    let kind = rng.below(kinds);
    let mut touched = vec![before(&a)];
    let what = match kind {
        0 | 1 => {
            site.write(&a, &format!("{text}\n\n第 {step} 次编辑加的一段。\n"));
            "body"
        }
        2 => {
            site.write(&a, &set("title", &format!("\"第 {step} 个标题\"")));
            "title"
        }
        3 => {
            let tags = ["Rust", "开源", "AI安全", "C++", "新标签", "GPT-5"];
            let n = rng.below(4);
            let list: Vec<&str> = (0..n).map(|_| *rng.pick(&tags)).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
            site.write(&a, &set("tags", &format!("[{}]", list.iter().map(|t| format!("\"{t}\"")).collect::<Vec<_>>().join(", "))));
            "tags"
        }
        4 => {
            site.write(&a, &set("date", &format!("20{:02}-{:02}-{:02} 08:00", 10 + rng.below(20), 1 + rng.below(12), 1 + rng.below(28))));
            "date"
        }
        5 => {
            site.write(&a, &set("summary", &format!("\"摘要 {step}\"")));
            "summary"
        }
        6 => {
            site.write(&a, &set("issue", &format!("{}", 1 + rng.below(400))));
            "issue"
        }
        7 => {
            let new = format!("content/posts/2031-01-{:02}-added-{step}.md", 1 + rng.below(28));
            let lang = if rng.below(3) == 0 { ".en" } else { "" };
            let new = if lang.is_empty() { new } else { a.replace(".en.md", ".md").replace(".md", ".en.md") };
            touched = vec![before(&new)];
            site.write(&new, &format!("---\ntitle: 新文章 {step}\ndate: 2031-01-02 09:00\ntags: [Rust]\n---\n新文章的正文 {step}。\n"));
            "add"
        }
        8 => {
            site.remove(&a);
            "delete"
        }
        9 => {
            let renamed = format!("content/posts/{}-renamed-{step}.md", name.get(..10).unwrap_or("2020-01-01"));
            touched.push(before(&renamed));
            site.remove(&a);
            site.write(&renamed, &text);
            "rename"
        }
        10 => {
            site.write(&a, &text.replacen("---\n", "---\n: [unclosed\n", 1));
            "break"
        }
        11 => {
            let slug = name.get(11..).unwrap_or("x").trim_end_matches(".md").trim_end_matches(".en");
            let c = format!("content/comments/{slug}.yaml");
            touched = vec![before(&c)];
            if rng.below(3) == 0 && site.root().join(&c).exists() {
                site.remove(&c);
            } else {
                site.write(&c, &format!("- author: 读者 {step}\n  body: 第 {step} 条评论。\n"));
            }
            "comments"
        }
        12 => {
            touched = vec![before("config.yaml")];
            let config = site.read("config.yaml");
            let line = config.lines().find(|l| l.starts_with("paginate:")).unwrap_or("paginate: 10").to_string();
            site.write("config.yaml", &config.replacen(&line, &format!("paginate: {}", 3 + rng.below(9)), 1));
            "config"
        }
        13 => {
            let t = "themes/default/templates/tags.html";
            touched = vec![before(t)];
            site.write(t, &format!("{{% extends \"base.html\" %}}{{% block content %}}<h1>标签 {step}</h1>{{% for t in tags %}}<a href=\"{{{{ t.url }}}}\">{{{{ t.name }}}} {{{{ t.count }}}}</a>{{% endfor %}}{{% endblock content %}}"));
            "template"
        }
        14 => {
            site.write(&a, &set("draft", if front.contains("draft: true") { "false" } else { "true" }));
            "draft"
        }
        _ => {
            site.write(&a, &set("slug", &format!("slug-{step}")));
            "slug"
        }
    };
    (what.to_string(), touched)
}

/// Random edit sequences, each step compared with a full build: output bytes
/// and the reported changes. An edit that breaks the build (a deleted post
/// others relate to, a duplicate issue, broken YAML) must fail in the engine
/// too and leave its output as it was; it is then undone.
fn random_edits(theme: &[(&str, &str)], seed: u64) {
    let steps: usize = std::env::var("GEN_EDIT_STEPS").ok().and_then(|s| s.parse().ok()).unwrap_or(100);
    let dir = tempfile::tempdir().unwrap();
    corpus::generate(14, dir.path(), seed);
    for (path, text) in theme {
        let p = dir.path().join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
    let mut inc = Incremental::new(dir.path(), options());
    inc.build().unwrap();
    let last = inc.output().clone();
    let mut site = Site { dir, inc, last, folder: None };
    let mut rng = corpus::Rng(seed);
    for step in 0..steps {
        let (what, touched) = random_edit(&site, &mut rng, step);
        let what = format!("step {step} (seed {seed}): {what} {:?}", touched.iter().map(|(p, _)| p).collect::<Vec<_>>());
        let paths: Vec<&str> = touched.iter().map(|(p, _)| p.as_str()).collect();
        if full(site.root()).is_ok() {
            site.check(&what, &paths);
            continue;
        }
        let before = site.inc.output().clone();
        assert!(
            site.inc.update(&paths.iter().map(PathBuf::from).collect::<Vec<_>>()).is_err(),
            "{what}: the engine accepted what a full build refuses"
        );
        assert_eq!(site.inc.output(), &before, "{what}: a failed build changed the output");
        for (p, text) in &touched {
            match text {
                Some(t) => site.write(p, t),
                None => {
                    let _ = fs::remove_file(site.root().join(p));
                }
            }
        }
        site.check(&format!("{what}, undone"), &paths);
    }
}

#[test]
fn random_edits_match_a_full_build_with_the_default_theme() {
    random_edits(&[], 11);
}

#[test]
fn random_edits_match_a_full_build_with_a_theme_that_queries_the_site() {
    random_edits(READING_THEME, 12);
}
