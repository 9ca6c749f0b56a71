//! `gen status [--json]`: every post × every language of the site: which
//! version is the original, which translations are up to date or stale
//! (their original changed after they were made), which are missing.

use crate::build::{self, BuildOptions};
use crate::disk;
use crate::post::Kind;
use crate::site::{self, Site};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// What one language version of a post is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// The version the others are translated from.
    Original,
    /// A translation, up to date with its original (or not tracked: no `translated_from`).
    Translated,
    /// A translation whose original changed after it was made.
    Stale,
    /// No version in this language.
    Missing,
}

/// One cell of the table.
#[derive(Debug, Clone, Serialize)]
pub struct Version {
    pub state: State,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issue: Option<u32>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub draft: bool,
    /// A translation without `translated_from`: whether it is up to date is not known.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub untracked: bool,
    /// Stale: paragraphs of the original changed, of how many, and whether its title changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed: Option<String>,
}

/// One row: a post in every language.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The post's name, shared by its versions: `posts/2023-06-08-gpt-5`.
    pub post: String,
    pub title: String,
    pub versions: BTreeMap<String, Version>,
}

/// The whole table.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub languages: Vec<String>,
    pub posts: Vec<Row>,
    /// Per language: how many versions are in each state.
    pub totals: BTreeMap<String, BTreeMap<String, usize>>,
}

/// Run `gen status`; returns the process exit code.
pub fn run(root: &Path, json: bool) -> i32 {
    let sources = match disk::load(root) {
        Ok(s) => s,
        Err(errors) => {
            super::report(&errors, "status");
            return 1;
        }
    };
    let options = BuildOptions { drafts: true, base_url: None };
    match build::assemble(&sources, &options, &mut build::Cache::default()) {
        Ok(assembled) => {
            let status = status(&assembled.site);
            if json {
                println!("{}", serde_json::to_string_pretty(&status).unwrap_or_default());
            } else {
                print!("{}", table(&status));
            }
            0
        }
        Err(errors) => {
            super::report(&errors, "status");
            1
        }
    }
}

/// The status of every post of `site`, newest first.
pub fn status(site: &Site) -> Status {
    let config = &site.config;
    let mut rows: Vec<Row> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, e) in site.entries.iter().enumerate() {
        if e.post.kind != Kind::Post || !seen.insert(e.post.key.clone()) {
            continue;
        }
        let mut group: Vec<usize> = vec![i];
        group.extend(&e.translations);
        // The original: the version a translation names, else the first in the site's language order.
        let named = group.iter().find_map(|&j| site::original_of(&site.entries, j, config));
        let original = named
            .unwrap_or_else(|| *group.iter().min_by_key(|&&j| config.languages.iter().position(|l| *l == site.entries[j].post.lang)).unwrap_or(&i));
        let mut versions = BTreeMap::new();
        for lang in &config.languages {
            let found = group.iter().copied().find(|&j| site.entries[j].post.lang == *lang);
            let version = match found {
                None => Version { state: State::Missing, file: None, issue: None, draft: false, untracked: false, changed: None },
                Some(j) => {
                    let x = &site.entries[j];
                    let state = match x.stale {
                        Some(_) => State::Stale,
                        None if j == original => State::Original,
                        None => State::Translated,
                    };
                    Version {
                        state,
                        file: Some(crate::error::display_path(&x.post.path)),
                        issue: x.post.issue,
                        draft: x.post.draft,
                        untracked: state == State::Translated && x.post.translated_from.is_none(),
                        changed: x.stale.map(|(_, d)| d.describe()),
                    }
                }
            };
            versions.insert(lang.clone(), version);
        }
        rows.push(Row { post: e.post.key.clone(), title: site.entries[original].post.title.clone(), versions });
    }
    let mut totals: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for row in &rows {
        for (lang, v) in &row.versions {
            let name = serde_json::to_value(v.state).ok().and_then(|s| s.as_str().map(String::from)).unwrap_or_default();
            *totals.entry(lang.clone()).or_default().entry(name).or_default() += 1;
        }
    }
    Status { languages: config.languages.clone(), posts: rows, totals }
}

/// The table as `gen status` prints it: one row per post, one column per language.
pub fn table(status: &Status) -> String {
    let cell = |v: &Version| {
        let mut s = match v.state {
            State::Original => "original".to_string(),
            State::Translated => "translated".to_string(),
            State::Stale => "STALE".to_string(),
            State::Missing => "missing".to_string(),
        };
        if let Some(n) = v.issue {
            s = format!("#{n} {s}");
        }
        if v.untracked {
            s.push('*');
        }
        if v.draft {
            s.push_str(" (draft)");
        }
        s
    };
    let mut header = vec!["post".to_string()];
    header.extend(status.languages.iter().cloned());
    let mut lines: Vec<Vec<String>> = vec![header];
    for row in &status.posts {
        let mut line = vec![row.post.trim_start_matches("posts/").to_string()];
        line.extend(status.languages.iter().map(|l| row.versions.get(l).map(cell).unwrap_or_default()));
        lines.push(line);
    }
    let columns = status.languages.len() + 1;
    let widths: Vec<usize> = (0..columns).map(|c| lines.iter().map(|l| width(&l[c])).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for line in &lines {
        let mut text = String::new();
        for (c, value) in line.iter().enumerate() {
            text.push_str(value);
            if c + 1 < columns {
                text.push_str(&" ".repeat(widths[c] - width(value) + 2));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    }
    for row in &status.posts {
        for (lang, v) in &row.versions {
            if let (Some(file), Some(changed)) = (&v.file, &v.changed) {
                out.push_str(&format!("stale: {file} ({lang}): {changed} in the original\n"));
            }
        }
    }
    if status.posts.iter().any(|r| r.versions.values().any(|v| v.untracked)) {
        out.push_str("* no translated_from: gen cannot tell whether it is up to date (`gen new --translate POST --lang LANG --refresh` records its original)\n");
    }
    let summary: Vec<String> = status
        .languages
        .iter()
        .map(|l| {
            let t = status.totals.get(l);
            let n = |k: &str| t.and_then(|t| t.get(k)).copied().unwrap_or(0);
            format!("{l}: {} original, {} translated, {} stale, {} missing", n("original"), n("translated"), n("stale"), n("missing"))
        })
        .collect();
    out.push_str(&format!("{} posts; {}\n", status.posts.len(), summary.join("; ")));
    out
}

/// Columns a text takes in a terminal (CJK characters take two).
fn width(s: &str) -> usize {
    s.chars().map(|c| if crate::error::is_wide(c) { 2 } else { 1 }).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns_and_sums_up() {
        let v = |state, issue| Version { state, file: Some("content/posts/a.md".into()), issue, draft: false, untracked: false, changed: None };
        let mut versions = BTreeMap::new();
        versions.insert("zh".to_string(), v(State::Original, Some(3)));
        versions.insert("en".to_string(), Version { changed: Some("1 of 2 paragraphs changed".into()), ..v(State::Stale, Some(3)) });
        let mut other = BTreeMap::new();
        other.insert("zh".to_string(), v(State::Original, None));
        other.insert("en".to_string(), Version { state: State::Missing, file: None, issue: None, draft: false, untracked: false, changed: None });
        let mut totals = BTreeMap::new();
        totals.insert("zh".to_string(), BTreeMap::from([("original".to_string(), 2)]));
        totals.insert("en".to_string(), BTreeMap::from([("stale".to_string(), 1), ("missing".to_string(), 1)]));
        let status = Status {
            languages: vec!["zh".into(), "en".into()],
            posts: vec![
                Row { post: "posts/预训练".into(), title: "t".into(), versions },
                Row { post: "posts/b".into(), title: "u".into(), versions: other },
            ],
            totals,
        };
        assert_eq!(
            table(&status),
            "post    zh           en\n预训练  #3 original  #3 STALE\nb       original     missing\nstale: content/posts/a.md (en): 1 of 2 paragraphs changed in the original\n2 posts; zh: 2 original, 0 translated, 0 stale, 0 missing; en: 0 original, 0 translated, 1 stale, 1 missing\n"
        );
    }
}
