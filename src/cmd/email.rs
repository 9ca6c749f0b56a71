//! `gen email`: write the email edition of posts as RFC 5322 messages
//! (`mail/SLUG.LANG.eml`), ready to hand to a mail service or to open in a
//! mail client. Only the chosen letters are rendered, not the whole site.

use crate::build::{self, BuildOptions};
use crate::disk;
use crate::error::Error;
use crate::mail::{self, Parts};
use crate::post::Kind;
use crate::render::email;
use crate::site::Site;
use crate::theme::Theme;
use std::path::PathBuf;

/// Arguments of `gen email`.
#[derive(Debug, Clone, Default)]
pub struct Args {
    pub root: PathBuf,
    /// Slugs of the posts; none: the newest post.
    pub slugs: Vec<String>,
    /// Only this language; default: every language the post has.
    pub lang: Option<String>,
    /// Every post.
    pub all: bool,
    /// Where the messages go; default ROOT/mail.
    pub out: Option<PathBuf>,
}

/// Run `gen email`; returns the process exit code.
pub fn run(args: &Args) -> i32 {
    let out = args.out.clone().unwrap_or_else(|| args.root.join("mail"));
    let (site, theme) = match load(&args.root) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let chosen = match select(&site, &args.slugs, args.lang.as_deref(), args.all) {
        Ok(c) => c,
        Err(msg) => {
            eprintln!("error: {msg}");
            return 2;
        }
    };
    let messages = match messages(&site, &theme, &chosen, &[], None) {
        Ok(m) => m,
        Err(errors) => {
            super::report(&errors, "email");
            return 1;
        }
    };
    let files: Vec<(String, Vec<u8>)> = messages.into_iter().map(|(i, m)| (file_name(&site, i), m.formatted())).collect();
    if let Err(e) = disk::write_files(&out, &files) {
        eprintln!("error: cannot write the messages: {e}");
        return 1;
    }
    for (name, _) in &files {
        println!("{}", out.join(name).display());
    }
    println!("Wrote {} message{} into {}", files.len(), if files.len() == 1 { "" } else { "s" }, out.display());
    0
}

/// Read and assemble the site at `root` (drafts left out), or the exit code after reporting why not.
pub(crate) fn load(root: &std::path::Path) -> Result<(Site, Theme), i32> {
    let sources = disk::load(root).map_err(|errors| {
        super::report(&errors, "email");
        1
    })?;
    let assembled = build::assemble(&sources, &BuildOptions::default(), &mut build::Cache::default()).map_err(|errors| {
        super::report(&errors, "email");
        1
    })?;
    Ok((assembled.site, std::sync::Arc::unwrap_or_clone(assembled.theme)))
}

/// The entries to write: the posts named by `slugs` (else every post with
/// `all`, else the newest post), in `lang` or in every language they have.
pub fn select(site: &Site, slugs: &[String], lang: Option<&str>, all: bool) -> Result<Vec<usize>, String> {
    if let Some(l) = lang {
        if !site.config.has_language(l) {
            return Err(format!("--lang `{l}` is not one of the site's languages ({})", site.config.languages.join(", ")));
        }
    }
    let posts: Vec<usize> = (0..site.entries.len()).filter(|&i| site.entries[i].post.kind == Kind::Post).collect();
    let in_lang = |i: &usize| lang.is_none_or(|l| site.entries[*i].post.lang == l);
    let chosen: Vec<usize> = if all {
        posts.iter().copied().filter(in_lang).collect()
    } else if slugs.is_empty() {
        let newest = posts.iter().filter(|i| in_lang(i)).max_by_key(|&&i| (site.entries[i].post.date, std::cmp::Reverse(i)));
        let Some(&newest) = newest else {
            return Err(match lang {
                Some(l) => format!("the site has no post in `{l}`"),
                None => "the site has no post yet; write one with `gen new \"Title\"`".into(),
            });
        };
        let slug = &site.entries[newest].post.slug;
        posts.iter().copied().filter(|&i| site.entries[i].post.slug == *slug).filter(in_lang).collect()
    } else {
        let mut chosen = Vec::new();
        for slug in slugs {
            let found: Vec<usize> = posts.iter().copied().filter(|&i| site.entries[i].post.slug == *slug).collect();
            if found.is_empty() {
                let hint = crate::error::did_you_mean(slug, posts.iter().map(|&i| site.entries[i].post.slug.as_str()));
                return Err(format!("no post has the slug `{slug}`{hint}"));
            }
            let kept: Vec<usize> = found.iter().copied().filter(in_lang).collect();
            if kept.is_empty() {
                let langs: Vec<&str> = found.iter().map(|&i| site.entries[i].post.lang.as_str()).collect();
                return Err(format!("the post `{slug}` has no `{}` version (it is in {})", lang.unwrap_or_default(), langs.join(", ")));
            }
            chosen.extend(kept);
        }
        chosen
    };
    let mut chosen = chosen;
    chosen.sort_unstable();
    chosen.dedup();
    Ok(chosen)
}

/// The message of each entry of `chosen`, addressed to `to`, dated `date` (else the post's date).
/// A letter over Gmail's clipping limit is named in a warning.
pub fn messages(
    site: &Site,
    theme: &Theme,
    chosen: &[usize],
    to: &[lettre::message::Mailbox],
    date: Option<std::time::SystemTime>,
) -> Result<Vec<(usize, lettre::Message)>, Vec<Error>> {
    mail::sender(&site.config).map_err(|e| vec![e])?;
    let letters = email::letters(site, theme, chosen)?;
    let mut out = Vec::with_capacity(chosen.len());
    let mut errors = Vec::new();
    for (&i, (html, text)) in chosen.iter().zip(&letters) {
        if html.len() > email::GMAIL_CLIP_BYTES {
            eprintln!("{}", email::clip_warning(site, i, html.len()));
        }
        match mail::message(site, theme, i, &Parts { html, text, to, date }) {
            Ok(m) => out.push((i, m)),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// `SLUG.LANG.eml`.
fn file_name(site: &Site, i: usize) -> String {
    let post = &site.entries[i].post;
    format!("{}.{}.eml", post.slug, post.lang)
}
