//! The bare cost gen is measured against (`scripts/bench`): read every post, parse its
//! front matter with serde_yaml, render its Markdown with pulldown-cmark, write one HTML file each.
//!
//! Usage: `cargo run --release --example baseline -- SITE OUT`
//!
//! Single-threaded on purpose, no templates, no site model: the floor a static
//! site generator cannot go below on one core. Uses the same pulldown-cmark
//! options as gen (tables, footnotes, strikethrough, task lists, heading attributes).

use pulldown_cmark::{Options, Parser, html};
use serde::Deserialize;
use std::fs;
use std::path::PathBuf;
use std::time::Instant;

/// The front matter keys every post has; others are ignored.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct FrontMatter {
    title: String,
    date: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    issue: Option<u32>,
    #[serde(default)]
    related: Vec<String>,
}

fn split(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix("---\n")?;
    let end = rest.find("\n---\n")?;
    Some((&rest[..end + 1], &rest[end + 5..]))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(site), Some(out)) = (args.first().map(PathBuf::from), args.get(1).map(PathBuf::from)) else {
        eprintln!("usage: baseline SITE OUT");
        std::process::exit(2)
    };
    let started = Instant::now();
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES;
    let posts_dir = site.join("content/posts");
    let mut paths: Vec<PathBuf> = fs::read_dir(&posts_dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", posts_dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    paths.sort();
    fs::create_dir_all(&out).unwrap_or_else(|e| panic!("cannot create {}: {e}", out.display()));
    let mut bytes = 0usize;
    for path in &paths {
        let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let (yaml, body) = split(&text).unwrap_or_else(|| panic!("{}: no front matter", path.display()));
        let fm: FrontMatter = serde_yaml::from_str(yaml).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut page = String::with_capacity(body.len() * 2);
        page.push_str("<!DOCTYPE html>\n<title>");
        page.push_str(&fm.title);
        page.push_str("</title>\n");
        html::push_html(&mut page, Parser::new_ext(body, options));
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        fs::write(out.join(format!("{name}.html")), &page).unwrap_or_else(|e| panic!("cannot write: {e}"));
        bytes += page.len();
    }
    println!("baseline (single thread): {} posts, {} MB of HTML in {:.3}s", paths.len(), bytes / 1_000_000, started.elapsed().as_secs_f64());
}
