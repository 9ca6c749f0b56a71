//! A post or page parsed from its file: front matter checked and resolved
//! (dates, language, slug, author), body kept as Markdown. Pure: the text
//! comes in, a [`Post`] or every problem found comes out.

use crate::config::Config;
use crate::error::Error;
use crate::frontmatter::{self, Cover, Credit, FrontMatter, Reference, Source, TranslatedFrom};
use crate::{date, slug, yaml};
use chrono::{DateTime, FixedOffset};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Whether a file is a dated post or a standalone page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Post,
    Page,
}

/// A parsed post or page. It hashes (derived) over every field: the live
/// preview fingerprints posts by it.
#[derive(Debug, Clone, Hash)]
pub struct Post {
    /// Path as shown in messages: `content/posts/a.md`.
    pub path: PathBuf,
    /// Path inside `content/`, as used by `@/` links: `posts/a.md`.
    pub content_path: String,
    pub kind: Kind,
    /// Shared by a post and its translations: `posts/a`.
    pub key: String,
    pub lang: String,
    pub slug: String,
    pub title: String,
    pub date: Option<DateTime<FixedOffset>>,
    pub updated: Option<DateTime<FixedOffset>>,
    /// Whether `date` was written with a time of day (`2023-06-08 06:14`), not as a day alone.
    pub date_has_time: bool,
    pub updated_has_time: bool,
    pub author: String,
    pub location: Option<String>,
    pub issue: Option<u32>,
    pub tags: Vec<String>,
    /// The URL name of each tag ([`slug::tag_slug`]), in the order of `tags`.
    pub tag_slugs: Vec<String>,
    pub summary: Option<String>,
    pub cover: Option<Cover>,
    pub source: Option<Source>,
    pub original_url: Option<String>,
    pub credits: Vec<Credit>,
    pub references: Vec<Reference>,
    pub related: Vec<String>,
    pub draft: bool,
    pub template: Option<String>,
    /// What this translation recorded of its original.
    pub translated_from: Option<TranslatedFrom>,
    pub extra: BTreeMap<String, yaml::Value>,
    pub body: String,
    /// 1-based line of the file where the body starts.
    pub body_line: usize,
    /// 1-based line of each front matter key, for later errors (`related`, `issue`).
    pub key_lines: BTreeMap<String, usize>,
    /// The YAML between the `---` lines, for excerpts under those later errors.
    pub front_matter: String,
}

impl Post {
    /// Parse the file at `content_path` (inside `content/`) with text `text`.
    pub fn parse(content_path: &str, text: &str, config: &Config) -> Result<Post, Vec<Error>> {
        let path = Path::new("content").join(content_path);
        let text = normalize(text);
        let kind = if content_path.starts_with("pages/") { Kind::Page } else { Kind::Post };
        let err = |line: usize, col: usize, msg: String| Error::new(&path, line, col, msg).with_source(&text);
        let split = frontmatter::split(&text).map_err(|e| vec![err(e.line, e.col, e.message)])?;
        let fm: FrontMatter = frontmatter::parse(&split).map_err(|e| vec![err(e.line, e.col, e.message)])?;
        let mut key_lines = BTreeMap::new();
        for key in
            ["title", "date", "updated", "slug", "lang", "issue", "tags", "related", "template", "cover", "original_url", "source", "translated_from"]
        {
            if let Some(l) = yaml::key_line(split.yaml, key) {
                key_lines.insert(key.to_string(), split.yaml_line + l - 1);
            }
        }
        let line_of = |key: &str| key_lines.get(key).copied().unwrap_or(1);
        // Column of the value after `key:`, where the caret of a bad value goes.
        let at = |key: &str| {
            let line = line_of(key);
            let col = text
                .lines()
                .nth(line - 1)
                .and_then(|l| l.find(':').map(|i| l[..i + 1].chars().count() + 1 + (l[i + 1..].len() - l[i + 1..].trim_start().len())));
            (line, col.unwrap_or(1))
        };
        let err_at = |key: &str, msg: String| {
            let (line, col) = at(key);
            err(line, col, msg)
        };
        let mut errors = Vec::new();

        let file_name = content_path.rsplit('/').next().unwrap_or(content_path);
        let stem = file_name.strip_suffix(".md").unwrap_or(file_name);
        let (stem, suffix_lang) = match stem.rsplit_once('.') {
            Some((s, l)) if crate::config::is_language_code(l) => (s, Some(l)),
            _ => (stem, None),
        };
        // `post.EN.md` is meant as English, not as a post whose name ends in `-en`.
        if let (None, Some((s, l))) = (suffix_lang, stem.rsplit_once('.')) {
            if let Some(site_lang) = config.languages.iter().find(|x| x.eq_ignore_ascii_case(l)) {
                errors.push(err(0, 0, format!("the language suffix `.{l}` must be written `.{site_lang}`: rename the file to `{s}.{site_lang}.md`")));
            }
        }
        if let Some(l) = suffix_lang {
            if !config.has_language(l) {
                errors.push(err(
                    0,
                    0,
                    format!("language `{l}` (from the file name) is not one of the site's languages: {}", config.languages.join(", ")),
                ));
            }
        }
        let lang = fm.lang.clone().or(suffix_lang.map(String::from)).unwrap_or_else(|| config.default_language.clone());
        if fm.lang.is_some() && !config.has_language(&lang) {
            errors.push(err_at("lang", format!("language `{lang}` is not one of the site's languages: {}", config.languages.join(", "))));
        }
        if let (Some(written), Some(suffix)) = (&fm.lang, suffix_lang) {
            if written != suffix {
                errors.push(err_at(
                    "lang",
                    format!(
                        "`lang: {written}` contradicts the file name `{file_name}`, whose suffix `.{suffix}` says `{suffix}`; remove `lang:` or rename the file"
                    ),
                ));
            }
        }
        let dir = content_path.rsplit_once('/').map_or("", |(d, _)| d);
        let key = if dir.is_empty() { stem.to_string() } else { format!("{dir}/{stem}") };

        match &fm.title {
            None => errors.push(err(1, 1, "missing required key `title` (e.g. `title: 我们为什么做这份通讯`)".into())),
            Some(t) if t.trim().is_empty() => errors.push(err(line_of("title"), 1, "`title` is empty".into())),
            Some(_) => {}
        }
        let slug = match &fm.slug {
            Some(s) => slug::explicit(s).unwrap_or_else(|m| {
                errors.push(err_at("slug", m));
                String::new()
            }),
            None => {
                let s = slug::from_file_stem(stem);
                if s.is_empty() {
                    errors.push(err(0, 0, format!("cannot make a URL name from the file name `{file_name}`: set `slug:` in the front matter")));
                }
                s
            }
        };
        let mut parse_date = |key: &str, value: &Option<String>| {
            value.as_ref().and_then(|v| match date::parse_written(v, config.timezone) {
                Ok(d) => Some(d),
                Err(m) => {
                    errors.push(err_at(key, format!("`{key}`: {m}")));
                    None
                }
            })
        };
        let date = parse_date("date", &fm.date);
        let updated = parse_date("updated", &fm.updated);
        if kind == Kind::Post && fm.date.is_none() {
            errors.push(err(1, 1, "missing required key `date` (e.g. `date: 2023-06-08 06:14`)".into()));
        }
        if let Some(t) = &fm.template {
            if t.contains(['/', '\\']) || t.contains("..") {
                errors.push(err_at("template", format!("template `{t}` must be a file name inside the theme's templates/ folder")));
            }
        }
        for (i, tag) in fm.tags.iter().enumerate() {
            if slug::tag_slug(tag).is_empty() {
                errors.push(err_at("tags", format!("tag {} (`{tag}`) has no letters or digits", i + 1)));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let author = fm.author.clone().unwrap_or_else(|| config.author.get(&lang, &config.default_language).to_string());
        let body_line = split.body_line;
        let body = split.body.to_string();
        let tags = dedup_tags(fm.tags);
        let tag_slugs = tags.iter().map(|t| slug::tag_slug(t)).collect();
        Ok(Post {
            path,
            content_path: content_path.to_string(),
            kind,
            key,
            lang,
            slug,
            title: fm.title.unwrap_or_default(),
            date: date.map(|d| d.at),
            date_has_time: date.is_none_or(|d| d.has_time),
            updated: updated.map(|d| d.at),
            updated_has_time: updated.is_none_or(|d| d.has_time),
            author,
            location: fm.location,
            issue: fm.issue,
            tags,
            tag_slugs,
            summary: fm.summary,
            cover: fm.cover,
            source: fm.source,
            original_url: fm.original_url,
            credits: fm.credits,
            references: fm.references,
            related: fm.related,
            draft: fm.draft,
            template: fm.template,
            translated_from: fm.translated_from,
            extra: fm.extra,
            body,
            body_line,
            key_lines,
            front_matter: split.yaml.to_string(),
        })
    }

    /// 1-based line of a front matter key, or 1.
    pub fn line_of(&self, key: &str) -> usize {
        self.key_lines.get(key).copied().unwrap_or(1)
    }
}

/// Drop a BOM and turn CRLF and lone CR line ends into LF.
pub fn normalize(text: &str) -> String {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.contains('\r') { text.replace("\r\n", "\n").replace('\r', "\n") } else { text.to_string() }
}

/// The tags once each: spellings that differ only in case or spacing are one
/// tag, the first kept. Other spellings with the same slug stay, for the site
/// to report.
fn dedup_tags(tags: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    tags.into_iter().map(|t| t.trim().to_string()).filter(|t| seen.insert(slug::tag_identity(t))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::parse(Path::new("config.yaml"), "title: t\nbase_url: https://e.com/\nlanguages: [zh, en]\ntimezone: \"+08:00\"\nauthor: AI范儿\n")
            .unwrap()
    }

    #[test]
    fn parses_a_post() {
        let p = Post::parse(
            "posts/2023-06-08-gpt-5.en.md",
            "\u{feff}---\r\ntitle: GPT-5\r\ndate: 2023-06-08 06:14\r\ntags: [AI, ai, 人工智能]\r\n---\r\nBody",
            &config(),
        )
        .unwrap();
        assert_eq!((p.slug.as_str(), p.lang.as_str(), p.key.as_str()), ("gpt-5", "en", "posts/2023-06-08-gpt-5"));
        assert_eq!(p.date.unwrap().to_rfc3339(), "2023-06-08T06:14:00+08:00");
        assert!(p.date_has_time);
        assert_eq!(p.tags, ["AI", "人工智能"]);
        assert_eq!(p.author, "AI范儿");
        assert_eq!(p.body, "Body");
        assert_eq!(p.body_line, 6);
    }

    #[test]
    fn transliterates_cjk_file_names() {
        let p = Post::parse("posts/预训练.md", "---\ntitle: x\ndate: 2023-01-01\n---\n", &config()).unwrap();
        assert_eq!(p.slug, "yu-xun-lian");
        assert!(!p.date_has_time, "`2023-01-01` has no time of day");
    }

    #[test]
    fn reports_every_problem_with_lines() {
        let errs = Post::parse("posts/a.fr.md", "---\ntitle: x\ndate: someday\nslug: ../up\n---\n", &config()).unwrap_err();
        let msgs: Vec<String> = errs.iter().map(|e| e.to_string().lines().next().unwrap().to_string()).collect();
        assert_eq!(
            msgs,
            [
                "content/posts/a.fr.md: error: language `fr` (from the file name) is not one of the site's languages: zh, en",
                "content/posts/a.fr.md:4:7: error: slug `../up` would escape the output folder; use letters, digits and `-`",
                "content/posts/a.fr.md:3:7: error: `date`: `someday` is not a date; write `2023-06-08`, `2023-06-08 06:14` or `2023-06-08T06:14:00+08:00`",
            ]
        );
    }

    #[test]
    fn lang_must_agree_with_the_file_name() {
        let e = Post::parse("posts/a.en.md", "---\ntitle: x\ndate: 2023-01-01\nlang: zh\n---\n", &config()).unwrap_err();
        assert_eq!(
            e[0].to_string().lines().next().unwrap(),
            "content/posts/a.en.md:4:7: error: `lang: zh` contradicts the file name `a.en.md`, whose suffix `.en` says `en`; remove `lang:` or rename the file"
        );
        let p = Post::parse("posts/a.en.md", "---\ntitle: x\ndate: 2023-01-01\nlang: en\n---\n", &config()).unwrap();
        assert_eq!(p.lang, "en");
        let p = Post::parse("posts/a.md", "---\ntitle: x\ndate: 2023-01-01\nlang: en\n---\n", &config()).unwrap();
        assert_eq!(p.lang, "en");
    }

    #[test]
    fn a_language_suffix_in_capitals_is_an_error() {
        let e = Post::parse("posts/a.EN.md", "---\ntitle: x\ndate: 2023-01-01\n---\n", &config()).unwrap_err();
        assert_eq!(e[0].to_string(), "content/posts/a.EN.md: error: the language suffix `.EN` must be written `.en`: rename the file to `a.en.md`");
        // Other dots in names are no suffix.
        assert_eq!(Post::parse("posts/v1.2.md", "---\ntitle: x\ndate: 2023-01-01\n---\n", &config()).unwrap().slug, "v1-2");
    }

    #[test]
    fn pages_need_no_date() {
        let p = Post::parse("pages/about.md", "---\ntitle: About\n---\nhi\n", &config()).unwrap();
        assert_eq!(p.kind, Kind::Page);
        let e = Post::parse("posts/x.md", "---\ntitle: x\n---\n", &config()).unwrap_err();
        assert!(e[0].message.starts_with("missing required key `date`"));
    }
}
