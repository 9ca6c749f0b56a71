//! `gen new "Title" [--lang en] [--issue N]`: write a new post,
//! `content/posts/DATE-SLUG.md`, with its front matter filled in.

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
    let local = now.with_timezone(&config.timezone);
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
