//! The email edition as an RFC 5322 message: `multipart/alternative` with the
//! plain text and the HTML letter, built with lettre, byte for byte the same
//! for the same post (the `Date` is the post's, the boundary and `Message-ID` derive from it).

use crate::config::Config;
use crate::error::Error;
use crate::site::Site;
use crate::theme::Theme;
use lettre::Message;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use std::time::SystemTime;

/// What a message is made of besides the two editions.
pub struct Parts<'a> {
    /// The letter's HTML and plain text editions.
    pub html: &'a str,
    pub text: &'a str,
    /// Recipients (`gen send`); none for a message handed to a mail service.
    pub to: &'a [Mailbox],
    /// The `Date`: `None` for the post's own date.
    pub date: Option<SystemTime>,
}

/// The message of entry `i` of `site`. An error names config.yaml when it
/// lacks what a message needs (`email.from`).
pub fn message(site: &Site, theme: &Theme, i: usize, parts: &Parts<'_>) -> Result<Message, Error> {
    let config = &site.config;
    let e = &site.entries[i];
    let post = &e.post;
    let from = sender(config)?;
    let subject = subject(config, theme, site, i);
    let digest = fnv(&[parts.html.as_bytes(), parts.text.as_bytes(), subject.as_bytes()]);
    let host = config.base_url.split("://").nth(1).and_then(|r| r.split(['/', ':']).next()).filter(|h| !h.is_empty()).unwrap_or("localhost");
    let local = format!("{}.{}.{digest:016x}", post.slug, post.lang).replace(|c: char| !(c.is_ascii_alphanumeric() || "-._".contains(c)), "-");
    let date = parts.date.unwrap_or_else(|| post.date.map_or(SystemTime::UNIX_EPOCH, SystemTime::from));
    let mut builder = Message::builder().from(from.clone()).subject(subject).date(date).message_id(Some(format!("<{local}@{host}>")));
    if let Some(reply_to) = config.email.reply_to.as_deref().and_then(|r| r.parse::<Mailbox>().ok()) {
        builder = builder.reply_to(reply_to);
    }
    for to in parts.to {
        builder = builder.to(to.clone());
    }
    if parts.to.is_empty() {
        // A message for a mail service has no recipient yet; lettre's envelope needs one.
        let envelope = lettre::address::Envelope::new(Some(from.email.clone()), vec![from.email.clone()]);
        builder = builder.envelope(envelope.map_err(|err| Error::file("config.yaml", format!("email.from: {err}")))?);
    }
    builder = builder.raw_header(header("Content-Language", &post.lang));
    if let Some(url) = &config.email.unsubscribe_url {
        let url = if crate::escape::has_merge_tag(url) { url.clone() } else { crate::render::html::absolute(url, &e.permalink) };
        builder = builder.raw_header(header("List-Unsubscribe", &format!("<{url}>")));
        if url.starts_with("https://") || crate::escape::has_merge_tag(&url) {
            builder = builder.raw_header(header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"));
        }
    }
    let body = MultiPart::alternative()
        .boundary(format!("=_gen_{digest:016x}"))
        .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(parts.text.to_string()))
        .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(parts.html.to_string()));
    builder.multipart(body).map_err(|err| Error::file(&post.path, format!("cannot make the email message: {err}")))
}

/// `email.from` as a mailbox, or an error saying what to add.
pub fn sender(config: &Config) -> Result<Mailbox, Error> {
    match config.email.from.as_deref() {
        Some(from) => from.parse().map_err(|_| config.error_at_value("email", from, format!("email.from `{from}` is not an email address"))),
        None => Err(Error::file(
            "config.yaml",
            "email.from is not set: a message needs a sender; add `from: \"Name <letter@example.com>\"` under `email:`",
        )),
    }
}

/// The subject of entry `i`: `email.subject` filled in, or the issue label and the title.
pub fn subject(config: &Config, theme: &Theme, site: &Site, i: usize) -> String {
    let post = &site.entries[i].post;
    let lang = post.lang.as_str();
    let issue = post.issue.map(|n| n.to_string()).unwrap_or_default();
    let site_title = config.title.get(lang, &config.default_language);
    let template = match &config.email.subject {
        Some(t) => t.get(lang, &config.default_language).to_string(),
        None => match (post.issue, theme.string(lang, "issue")) {
            (Some(_), Ok(label)) => format!("{} · {{title}}", label.replace("{n}", "{issue}")),
            _ => "{title}".to_string(),
        },
    };
    let date = post.date.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default();
    fill(&template, &[("title", post.title.as_str()), ("issue", &issue), ("site", site_title), ("date", &date)])
}

/// `template` with each `{name}` replaced; merge tags (`{{ … }}`) are kept.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        if after.starts_with("{{") {
            let end = after.find("}}").map_or(after.len(), |j| j + 2);
            out.push_str(&after[..end]);
            rest = &after[end..];
            continue;
        }
        match after.find('}').and_then(|j| values.iter().find(|(k, _)| *k == &after[1..j]).map(|(_, v)| (j, v))) {
            Some((j, v)) => {
                out.push_str(v);
                rest = &after[j + 1..];
            }
            None => {
                out.push('{');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A header lettre has no type for.
fn header(name: &'static str, value: &str) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value.to_string())
}

/// FNV-1a over `parts`: a stable digest for the boundary and `Message-ID`.
fn fnv(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in *part {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Parse `--to a@b.c,Name <d@e.f>` into mailboxes; the error quotes the bad one.
pub fn recipients(list: &str) -> Result<Vec<Mailbox>, String> {
    let mut out = Vec::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        out.push(part.parse::<Mailbox>().map_err(|_| format!("`{part}` is not an email address (e.g. `you@example.com`)"))?);
    }
    if out.is_empty() {
        return Err("no address given (e.g. `--to you@example.com`)".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_filled_and_merge_tags_kept() {
        let v = [("title", "标题"), ("issue", "12"), ("site", "AI范儿"), ("date", "2024-01-10")];
        assert_eq!(fill("第 {issue} 期：{title}", &v), "第 12 期：标题");
        assert_eq!(fill("{{ .Subscriber.FirstName }}, {site} {x}", &v), "{{ .Subscriber.FirstName }}, AI范儿 {x}");
        assert_eq!(fill("{title}\n  ", &v), "标题");
    }

    #[test]
    fn recipients_are_parsed() {
        assert_eq!(recipients("a@b.co, 名字 <c@d.co>").unwrap().len(), 2);
        assert_eq!(recipients("a@b.co,nope").unwrap_err(), "`nope` is not an email address (e.g. `you@example.com`)");
        assert!(recipients(" , ").is_err());
    }
}
