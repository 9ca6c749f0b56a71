//! `gen check`: build in memory without writing, and report every broken
//! internal link, anchor, `related` slug and missing image; with
//! `--translations`, every translation whose original changed since.
//!
//! The build itself checks `@/` links and `related`; this adds a scan of the
//! rendered output: every `href`/`src` inside the site must name a file of the
//! output (folders → `index.html`), and a `#anchor` an id of the target page.

use crate::build::{self, BuildOptions};
use crate::config::Config;
use crate::disk;
use crate::error::{self, Error};
use crate::output::Output;
use crate::post::Post;
use crate::render::html::{self, Token};
use crate::site::Site;
use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap};

/// Run the check; returns the process exit code. With `translations`, a
/// stale translation is an error; without, a warning.
pub fn run(root: &std::path::Path, drafts: bool, translations: bool) -> i32 {
    let sources = match disk::load(root) {
        Ok(s) => s,
        Err(errors) => {
            super::report(&errors, "check");
            return 1;
        }
    };
    match build::build_unchecked(&sources, &BuildOptions { drafts, base_url: None }, Output::default()) {
        Ok((built, mut errors)) => {
            // The same link found by both checks is reported once.
            let seen: BTreeSet<(std::path::PathBuf, usize, usize)> = errors.iter().map(|e| (e.path.clone(), e.line, e.col)).collect();
            errors.extend(broken_links(&built.site, &built.output).into_iter().filter(|e| !seen.contains(&(e.path.clone(), e.line, e.col))));
            let stale = crate::translation::stale(&built.site);
            if translations {
                errors.extend(stale);
            } else {
                for w in stale {
                    eprintln!("{}: warning: {}", w.location(), w.message);
                }
            }
            let errors = error::sorted(errors);
            if errors.is_empty() {
                println!("No problems found in {} pages.", built.output.pages());
                0
            } else {
                super::report(&errors, "check");
                1
            }
        }
        Err(errors) => {
            super::report(&errors, "check");
            1
        }
    }
}

/// One page of the output, scanned.
struct Scanned {
    ids: BTreeSet<String>,
    /// `href`/`src` values, decoded.
    links: Vec<String>,
}

/// Every link of the rendered HTML that points inside the site and names no
/// file of `output`, or an anchor its target page lacks. Errors name the
/// content file a page comes from (with the line where the link is written,
/// when it can be found) or else the page's URL.
pub fn broken_links(site: &Site, output: &Output) -> Vec<Error> {
    let config = &site.config;
    let scanned: HashMap<&str, Scanned> = output
        .files
        .par_iter()
        .filter(|(path, _)| path.ends_with(".html"))
        .map(|(path, bytes)| (path.as_str(), scan(&String::from_utf8_lossy(bytes))))
        .collect();
    let mut sources: HashMap<String, &Post> = HashMap::new();
    for e in &site.entries {
        sources.insert(format!("{}index.html", e.path), &e.post);
        sources.insert(format!("{}email.html", e.path), &e.post);
    }
    let mut pages: Vec<&&str> = scanned.keys().collect();
    pages.sort();
    let mut errors = Vec::new();
    for page in pages {
        let here = &scanned[*page];
        for link in &here.links {
            let Some(problem) = check_link(config, output, &scanned, here, link) else { continue };
            errors.push(locate(config, page, sources.get(*page).copied(), link, problem));
        }
    }
    error::sorted(errors)
}

fn scan(text: &str) -> Scanned {
    let mut ids = BTreeSet::new();
    let mut links = Vec::new();
    for t in html::tokenize(text) {
        if let Token::Start { attrs, .. } = t {
            for a in attrs {
                match &*a.name {
                    "id" => {
                        ids.insert(a.value.into_owned());
                    }
                    "href" | "src" if a.has_value => links.push(a.value.into_owned()),
                    _ => {}
                }
            }
        }
    }
    Scanned { ids, links }
}

/// What is wrong with `link` on the page scanned as `here`, if anything: the message of the error.
fn check_link(config: &Config, output: &Output, scanned: &HashMap<&str, Scanned>, here: &Scanned, link: &str) -> Option<String> {
    let link = link.trim();
    if let Some(anchor) = link.strip_prefix('#') {
        let anchor = html::percent_decode(anchor);
        if anchor.is_empty() || anchor == "top" || here.ids.contains(&anchor) {
            return None;
        }
        let hint = error::did_you_mean(&anchor, here.ids.iter().map(String::as_str));
        return Some(format!("broken link to #{anchor}: this page has no such id{hint}"));
    }
    let path = internal_path(config, link)?;
    let (path, anchor) = match path.split_once('#') {
        Some((p, a)) => (p, Some(html::percent_decode(a))),
        None => (path.as_str(), None),
    };
    let path = path.split('?').next().unwrap_or(path);
    let rel = html::percent_decode(&path[config.base_path.len()..]);
    let key = if rel.is_empty() || rel.ends_with('/') { format!("{rel}index.html") } else { rel.clone() };
    let shown = format!("{}{}", config.base_path, &path[config.base_path.len()..]);
    if !output.files.contains_key(&key) {
        let hint = if output.files.contains_key(&format!("{rel}/index.html")) {
            format!(" (the page is {shown}/: add the trailing slash)")
        } else {
            String::new()
        };
        return Some(format!("broken link to {shown}{hint}"));
    }
    let anchor = anchor.filter(|a| !a.is_empty() && a != "top")?;
    let target = scanned.get(key.as_str())?;
    if target.ids.contains(&anchor) {
        return None;
    }
    let hint = error::did_you_mean(&anchor, target.ids.iter().map(String::as_str));
    Some(format!("broken link to {shown}#{anchor}: that page has no such id{hint}"))
}

/// The link as a path starting with `base_path`, if it points inside the site.
fn internal_path(config: &Config, link: &str) -> Option<String> {
    if let Some(rest) = link.strip_prefix(config.base_url.as_str()) {
        return Some(format!("{}{rest}", config.base_path));
    }
    if link == config.base_url.trim_end_matches('/') {
        return Some(config.base_path.clone());
    }
    if link.starts_with("//") || !link.starts_with(config.base_path.as_str()) {
        return None;
    }
    Some(link.to_string())
}

/// The error for a broken link on `page`: at the source file and line when
/// the page comes from a post, else at the page's URL.
fn locate(config: &Config, page: &str, post: Option<&Post>, link: &str, message: String) -> Error {
    let Some(post) = post else {
        let url = format!("{}{}", config.base_path, page.strip_suffix("index.html").unwrap_or(page));
        return Error::file(url, message);
    };
    // Where the author wrote it: the link as found, or its path without the base.
    let candidates = [link.to_string(), internal_path(config, link).unwrap_or_default()];
    let found = candidates.iter().filter(|c| !c.is_empty()).find_map(|c| post.body.find(c.as_str()));
    match found {
        Some(offset) => {
            let (line, col) = error::line_col(&post.body, offset);
            Error::new(&post.path, post.body_line + line - 1, col, message)
        }
        None => Error::file(&post.path, message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn config() -> Config {
        Config::parse(Path::new("config.yaml"), "title: t\nbase_url: https://e.com/letter/\n").unwrap()
    }

    #[test]
    fn internal_paths() {
        let c = config();
        assert_eq!(internal_path(&c, "https://e.com/letter/posts/a/").as_deref(), Some("/letter/posts/a/"));
        assert_eq!(internal_path(&c, "https://e.com/letter").as_deref(), Some("/letter/"));
        assert_eq!(internal_path(&c, "/letter/x.png").as_deref(), Some("/letter/x.png"));
        assert_eq!(internal_path(&c, "/other/"), None);
        assert_eq!(internal_path(&c, "https://x.org/letter/"), None);
        assert_eq!(internal_path(&c, "//e.com/letter/"), None);
    }

    #[test]
    fn finds_missing_files_and_anchors() {
        let c = config();
        let mut out = Output::default();
        out.add(
            "index.html",
            "<a href=\"/letter/posts/a/#part\">a</a><a href=\"/letter/posts/a#x\">b</a><p id=\"me\"><a href=\"#me\">c</a><a href=\"#nope\">d</a>",
        );
        out.add("posts/a/index.html", "<h2 id=\"part\">x</h2><img src=\"/letter/posts/a/pic.png\"><a href=\"/letter/posts/a/#prat\">e</a>");
        let scanned: HashMap<&str, Scanned> = out.files.iter().map(|(p, b)| (p.as_str(), scan(std::str::from_utf8(b).unwrap()))).collect();
        let problems: Vec<String> = ["index.html", "posts/a/index.html"]
            .iter()
            .flat_map(|p| scanned[p].links.iter().filter_map(|l| check_link(&c, &out, &scanned, &scanned[p], l)).collect::<Vec<_>>())
            .collect();
        assert_eq!(
            problems,
            [
                "broken link to /letter/posts/a (the page is /letter/posts/a/: add the trailing slash)",
                "broken link to #nope: this page has no such id",
                "broken link to /letter/posts/a/pic.png",
                "broken link to /letter/posts/a/#prat: that page has no such id (did you mean `part`?)",
            ]
        );
    }
}
