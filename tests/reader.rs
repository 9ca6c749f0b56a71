//! The reader's matrix: `fixtures/reader-site` (raw HTML and iframes, a
//! 150-character title, comments nested three deep with pairs inside, late
//! comments, a Chinese-only and an English-only post) plus 600 generated posts
//! under one tag is built and served, and headless Chromium opens every kind
//! of page at 1280 and 390 px in the light and the dark scheme. Each view must
//! not scroll sideways, must show the header above the main content, must
//! have no serious or critical axe-core violation and no console error
//! (`reader/matrix.cjs` does the looking). Also takes the screenshots of
//! docs/reader/ (kept with GEN_UPDATE_SCREENSHOTS=1).
//!
//! Needs Chromium, Node.js and `puppeteer-core` and `axe-core` installed with
//! npm into tools/ (see .ci/run); without them the test is skipped with a
//! note, except under CI, where it fails.

mod common;

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Node.js and the folder whose node_modules holds puppeteer-core and axe-core.
fn tools() -> Option<(PathBuf, PathBuf)> {
    let node = std::env::var_os("GEN_NODE").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("node"));
    let modules = std::env::var_os("GEN_TOOLS").map(PathBuf::from).unwrap_or_else(|| common::repo().join("tools"));
    let has_node = Command::new(&node).arg("--version").output().is_ok_and(|o| o.status.success());
    let has_modules = ["puppeteer-core", "axe-core"].iter().all(|m| modules.join("node_modules").join(m).join("package.json").exists());
    if has_node && has_modules {
        return Some((node, modules));
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "the reader's matrix is required under CI: Node.js and `npm install --prefix tools puppeteer-core axe-core` (see .ci/run)"
    );
    eprintln!("note: Node.js or tools/node_modules/{{puppeteer-core,axe-core}} missing; the reader's matrix is skipped");
    None
}

/// A copy of the fixture with 600 more posts under the tag 批量.
fn site_with_bulk_posts(dir: &Path) -> PathBuf {
    let root = dir.join("site");
    let fixture = common::repo().join("tests/fixtures/reader-site");
    for entry in walkdir::WalkDir::new(&fixture).into_iter().flatten().filter(|e| e.file_type().is_file()) {
        let to = root.join(entry.path().strip_prefix(&fixture).unwrap());
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(entry.path(), to).unwrap();
    }
    for n in 0..600 {
        let (month, day) = (1 + n / 28 % 12, 1 + n % 28);
        let year = 2020 + n / 336;
        let body = format!(
            "---\ntitle: 批量文章 {n}：关于大模型的一周\ndate: {year}-{month:02}-{day:02} 09:00\ntags: [批量, 周报]\n---\n第 {n} 篇批量文章，讲大模型 and language models。\n\n## 小标题\n\n正文。\n"
        );
        fs::write(root.join(format!("content/posts/{year}-{month:02}-{day:02}-bulk-{n}.md")), body).unwrap();
    }
    root
}

/// The pages of the matrix: (name, path under the site, has a bilingual switch, selector to wait for).
const PAGES: &[(&str, &str, bool, &str)] = &[
    ("home", "/letter/", false, ""),
    ("home-page-2", "/letter/page/2/", false, ""),
    ("home-en", "/letter/en/", false, ""),
    ("post-zh", "/letter/posts/rich/", true, ""),
    ("post-en", "/letter/en/posts/rich/", true, ""),
    ("post-zh-only", "/letter/posts/zh-only/", false, ""),
    ("post-en-only", "/letter/en/posts/en-only/", false, ""),
    ("post-long-title", "/letter/posts/long-title/", false, ""),
    ("tags", "/letter/tags/", false, ""),
    ("tags-en", "/letter/en/tags/", false, ""),
    ("tag-600", "/letter/tags/%E6%89%B9%E9%87%8F/", false, ""),
    ("tag-600-page-2", "/letter/tags/%E6%89%B9%E9%87%8F/page/2/", false, ""),
    ("archive", "/letter/archive/", false, ""),
    ("archive-page-2", "/letter/archive/page/2/", false, ""),
    ("search-zh", "/letter/search/?q=%E5%8F%8C%E8%AF%AD", false, ".search-result"),
    ("search-en", "/letter/en/search/?q=video", false, ".search-result"),
    ("page", "/letter/about/", false, ""),
    ("page-en", "/letter/en/about/", false, ""),
    ("404", "/letter/404.html", false, ""),
    ("404-en", "/letter/en/404.html", false, ""),
    ("email", "/letter/posts/rich/email.html", false, ""),
    ("email-en", "/letter/en/posts/rich/email.html", false, ""),
];

/// The screenshots kept in docs/reader/: (file name, page, width, scheme, selector scrolled to).
const SHOTS: &[(&str, &str, u32, &str, &str)] = &[
    ("post-desktop-light", "post-zh", 1280, "light", ""),
    ("post-phone-dark", "post-zh", 390, "dark", ".bilingual"),
    ("comments-phone-light", "post-zh", 390, "light", "#comments"),
    ("tags-desktop-dark", "tags", 1280, "dark", ""),
    ("home-phone-dark", "home", 390, "dark", ""),
];

#[test]
fn every_page_for_every_reader() {
    let Some(chrome) = common::chromium() else { return };
    let Some((node, modules)) = tools() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = site_with_bulk_posts(dir.path());
    let out = dir.path().join("public");
    common::build_site(&root, &out, &[]);
    let port = common::serve_dir(out, "/letter");
    let shots = common::repo().join("target/screenshots/reader");
    fs::create_dir_all(&shots).unwrap();

    let pages: Vec<_> = PAGES
        .iter()
        .map(|(name, path, bilingual, wait)| serde_json::json!({"name": name, "path": path, "bilingual": bilingual, "wait": if wait.is_empty() { None } else { Some(wait) }}))
        .collect();
    let screenshots: Vec<_> = SHOTS
        .iter()
        .map(|(name, page, width, scheme, scroll)| serde_json::json!({"name": name, "page": page, "width": width, "scheme": scheme, "scroll": if scroll.is_empty() { None } else { Some(scroll) }}))
        .collect();
    let plan = serde_json::json!({
        "chromium": chrome, "modules": modules, "base": format!("http://127.0.0.1:{port}"),
        "shots": shots, "pages": pages, "screenshots": screenshots,
    });
    let plan_file = dir.path().join("plan.json");
    let report_file = dir.path().join("report.json");
    fs::write(&plan_file, plan.to_string()).unwrap();
    let run = Command::new(&node).arg(common::repo().join("tests/reader/matrix.cjs")).arg(&plan_file).arg(&report_file).output().expect("run node");
    assert!(run.status.success(), "the matrix did not run:\n{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    let report: serde_json::Value = serde_json::from_str(&fs::read_to_string(&report_file).unwrap()).unwrap();

    let views = report["views"].as_u64().unwrap();
    let failures = report["failures"].as_array().unwrap();
    let mut message = String::new();
    for f in failures {
        let _ = writeln!(message, "{} at {} px, {}: {}: {}", f["page"], f["width"], f["scheme"], f["check"], f["detail"]);
    }
    eprintln!("reader's matrix: {views} views, {} failures", failures.len());
    // Every page at two widths in two schemes, and both bilingual pages in three switch states.
    assert_eq!(views as usize, (PAGES.len() + 2 * 2) * 4, "views");
    assert!(failures.is_empty(), "{} problems in {views} views:\n{message}", failures.len());

    for (name, ..) in SHOTS {
        let file = shots.join(format!("{name}.png"));
        assert!(fs::metadata(&file).is_ok_and(|m| m.len() > 5_000), "screenshot {name} was not taken");
        if std::env::var_os("GEN_UPDATE_SCREENSHOTS").is_some() {
            fs::create_dir_all(common::repo().join("docs/reader")).unwrap();
            fs::copy(&file, common::repo().join(format!("docs/reader/{name}.png"))).unwrap();
        }
    }
}
