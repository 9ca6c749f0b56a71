//! `gen new "Title" [--lang en] [--issue N]`: write a new post,
//! `content/posts/DATE-SLUG.md`, with its front matter filled in; and
//! `gen new --translate posts/NAME.md --lang en [--refresh]`: write the
//! translation `content/posts/NAME.en.md`, or bring its record of the
//! original up to date.

use crate::build::{self, BuildOptions};
use crate::config::Config;
use crate::disk::{self, Sources};
use crate::post::{Kind, Post};
use chrono::{DateTime, Utc};
use std::path::PathBuf;

/// Arguments of `gen new`.
#[derive(Debug, Clone, Default)]
pub struct Args {
    pub root: PathBuf,
    pub title: String,
    pub lang: Option<String>,
    pub issue: Option<u32>,
    /// `--translate PATH`: the post to translate (inside `content/`).
    pub translate: Option<String>,
    /// `--refresh`: update `translated_from` of an existing translation.
    pub refresh: bool,
}

/// Why `gen new` wrote nothing: the exit code and what to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: i32,
    pub message: String,
}

fn refuse(code: i32, message: impl Into<String>) -> Refusal {
    Refusal { code, message: message.into() }
}

/// Run `gen new`; returns the process exit code.
pub fn run(args: &Args) -> i32 {
    // The clock is read here, once.
    match create(args, Utc::now()) {
        Ok(path) if args.refresh => {
            println!("Updated translated_from in {}: it now records the original as it is", path.display());
            0
        }
        Ok(path) => {
            println!("Created {}", path.display());
            0
        }
        Err(r) => {
            eprintln!("{}", r.message);
            r.code
        }
    }
}

/// Write the new post for `args` as of `now`; returns its path.
pub fn create(args: &Args, now: DateTime<Utc>) -> Result<PathBuf, Refusal> {
    let sources = disk::load(&args.root).map_err(|errors| refuse(1, errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")))?;
    let config = build::config(&sources, &BuildOptions::default())
        .map_err(|errors| refuse(1, errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")))?;
    if let Some(original) = &args.translate {
        return translate(&sources, &config, args, original);
    }
    if args.refresh {
        return Err(refuse(2, "error: --refresh goes with --translate: `gen new --translate posts/NAME.md --lang en --refresh`"));
    }
    let (relative, text) = plan(&sources, &config, args, now)?;
    let path = args.root.join(&relative);
    match disk::create_new(&path, &text) {
        Ok(()) => Ok(relative),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(refuse(
            1,
            format!("error: {} already exists; gen new never overwrites a file: choose another title, or edit that post", relative.display()),
        )),
        Err(e) => Err(refuse(1, format!("error: cannot write {}: {e}", relative.display()))),
    }
}

/// The new post's path (inside the site) and text.
pub fn plan(sources: &Sources, config: &Config, args: &Args, now: DateTime<Utc>) -> Result<(PathBuf, String), Refusal> {
    let title = args.title.trim();
    if title.is_empty() {
        return Err(refuse(2, "error: the title is empty: `gen new \"The title\"`"));
    }
    let lang = args.lang.clone().unwrap_or_else(|| config.default_language.clone());
    if !config.has_language(&lang) {
        return Err(refuse(2, format!("error: language `{lang}` is not one of the site's languages: {}", config.languages.join(", "))));
    }
    let slug = short_slug(&crate::slug::slugify(title), 60);
    if slug.is_empty() {
        return Err(refuse(2, format!("error: cannot make a file name from the title `{title}`: it has no letters or digits")));
    }
    let posts = existing_posts(sources, config);
    let same_lang = || posts.iter().filter(|p| p.lang == lang);
    if let Some(p) = same_lang().find(|p| p.slug == slug) {
        return Err(refuse(1, format!("error: {} already has the URL name `{slug}`; choose another title", crate::error::display_path(&p.path))));
    }
    let issue = match args.issue {
        Some(n) => {
            if let Some(p) = same_lang().find(|p| p.issue == Some(n)) {
                return Err(refuse(
                    1,
                    format!("error: issue {n} is already used by {} (issue numbers are unique per language)", crate::error::display_path(&p.path)),
                ));
            }
            n
        }
        None => same_lang().filter_map(|p| p.issue).max().map_or(1, |n| n + 1),
    };
    let local = config.timezone.at(&now);
    let suffix = if lang == config.default_language { String::new() } else { format!(".{lang}") };
    let relative = PathBuf::from(format!("content/posts/{}-{slug}{suffix}.md", local.format("%Y-%m-%d")));
    // A JSON string is a valid YAML scalar: quotes, colons and `#` in titles are safe.
    let quoted = serde_json::to_string(title).unwrap_or_else(|_| format!("\"{}\"", title.replace('"', "'")));
    let text = format!(
        "---\ntitle: {quoted}\ndate: {}\nissue: {issue}\ntags: []\n---\n<!-- Write the post here. Its first paragraph becomes the summary. -->\n\n",
        local.format("%Y-%m-%d %H:%M")
    );
    Ok((relative, text))
}

/// What `gen new --translate` did.
fn translate(sources: &Sources, config: &Config, args: &Args, original: &str) -> Result<PathBuf, Refusal> {
    let (relative, text, refreshed) = plan_translation(sources, config, args, original)?;
    let path = args.root.join(&relative);
    let written = if refreshed { disk::replace(&path, &text) } else { disk::create_new(&path, &text) };
    match written {
        Ok(()) => {
            let problems = if refreshed { Vec::new() } else { problems_of(sources, &relative, &text) };
            if !problems.is_empty() {
                eprintln!("warning: {} does not build as it is; fix it while translating:", relative.display());
                for e in problems {
                    eprintln!("{e}");
                }
            }
            Ok(relative)
        }
        Err(e) => Err(refuse(1, format!("error: cannot write {}: {e}", relative.display()))),
    }
}

/// What a build would report about the new file at `relative`: links whose
/// anchors the translated target names differently, for one. Said at once,
/// so that the translator knows before the preview does.
fn problems_of(sources: &Sources, relative: &std::path::Path, text: &str) -> Vec<crate::error::Error> {
    let Some(inside) = relative.strip_prefix("content").ok().and_then(|p| p.to_str()) else { return Vec::new() };
    let mut with = sources.clone();
    with.content.insert(inside.replace('\\', "/"), text.as_bytes().to_vec());
    match build::assemble(&with, &BuildOptions::default(), &mut build::Cache::default()) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.into_iter().filter(|e| e.path == relative).collect(),
    }
}

/// The translation's path (inside the site), its text, and whether it replaces the file there (`--refresh`).
pub fn plan_translation(sources: &Sources, config: &Config, args: &Args, original: &str) -> Result<(PathBuf, String, bool), Refusal> {
    let wanted = original.trim().trim_start_matches("./").trim_start_matches("@/");
    let wanted = wanted.strip_prefix("content/").unwrap_or(wanted);
    if sources.content.contains_key(wanted) && !(wanted.ends_with(".md") && (wanted.starts_with("posts/") || wanted.starts_with("pages/"))) {
        return Err(refuse(
            2,
            format!("error: --translate: content/{wanted} is not a post or page (a `.md` file under content/posts/ or content/pages/)"),
        ));
    }
    let Some(bytes) = sources.content.get(wanted).filter(|_| wanted.ends_with(".md")) else {
        let names = sources.content.keys().filter(|p| p.ends_with(".md")).map(String::as_str);
        let hint = crate::error::did_you_mean(wanted, names);
        return Err(refuse(2, format!("error: --translate: there is no content/{wanted}{hint}; name a post as `posts/NAME.md`")));
    };
    let text = std::str::from_utf8(bytes).map_err(|_| refuse(1, crate::error::not_utf8(format!("content/{wanted}"), bytes).to_string()))?;
    let original =
        Post::parse(wanted, text, config).map_err(|errors| refuse(1, errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")))?;
    let lang = args.lang.clone().unwrap_or_else(|| crate::site::original_lang(config, &original.lang).to_string());
    if !config.has_language(&lang) {
        let hint = crate::error::did_you_mean(&lang, config.languages.iter().map(String::as_str));
        return Err(refuse(
            2,
            format!(
                "error: --lang: `{lang}` is not one of the site's languages ({}){hint}; add it to `languages` in config.yaml first",
                config.languages.join(", ")
            ),
        ));
    }
    if lang == original.lang {
        let others: Vec<&str> = config.languages.iter().map(String::as_str).filter(|l| *l != lang).collect();
        return Err(refuse(2, format!("error: {} is already in `{lang}`; translate it into {}", original.path.display(), others.join(" or "))));
    }
    let stem = original.key.rsplit('/').next().unwrap_or(&original.key);
    let dir = wanted.rsplit_once('/').map_or("", |(d, _)| d);
    let suffix = if lang == config.default_language { String::new() } else { format!(".{lang}") };
    let inside = if dir.is_empty() { format!("{stem}{suffix}.md") } else { format!("{dir}/{stem}{suffix}.md") };
    let relative = PathBuf::from(format!("content/{inside}"));
    let existing = sources.content.get(&inside);
    if args.refresh {
        let Some(old) = existing else {
            return Err(refuse(1, format!("error: --refresh: {} does not exist yet; leave out --refresh to create it", relative.display())));
        };
        let old = std::str::from_utf8(old).map_err(|_| refuse(1, crate::error::not_utf8(&relative, old).to_string()))?;
        let text = crate::translation::refresh(old, &crate::translation::record(&original))
            .ok_or_else(|| refuse(1, format!("error: {} has no front matter to update", relative.display())))?;
        return Ok((relative, text, true));
    }
    if existing.is_some() {
        return Err(refuse(
            1,
            format!(
                "error: {} already exists; gen new never overwrites a file. To record that it now matches the original: `gen new --translate {wanted} --lang {lang} --refresh`",
                relative.display()
            ),
        ));
    }
    let text = crate::translation::scaffold(&original, &lang, config, &|tag| config.tag_name(tag, &original.lang, &lang));
    Ok((relative, text, false))
}

/// Posts already in the site (files that do not parse are left out).
fn existing_posts(sources: &Sources, config: &Config) -> Vec<Post> {
    use rayon::prelude::*;
    sources
        .content
        .par_iter()
        .filter(|(path, _)| path.starts_with("posts/") && path.ends_with(".md"))
        .filter_map(|(path, bytes)| Post::parse(path, std::str::from_utf8(bytes).ok()?, config).ok())
        .filter(|p| p.kind == Kind::Post)
        .collect()
}

/// At most `max` bytes of `slug`, cut at a `-`.
fn short_slug(slug: &str, max: usize) -> String {
    if slug.len() <= max {
        return slug.to_string();
    }
    let cut = &slug[..max];
    cut.rfind('-').map_or(cut, |i| &cut[..i]).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_cut_at_words() {
        assert_eq!(short_slug("a-b-c", 60), "a-b-c");
        assert_eq!(short_slug("abc-def-ghi", 9), "abc-def");
        assert_eq!(short_slug("abcdefghij", 5), "abcde");
    }
}
