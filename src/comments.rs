//! Reader comments that arrive after publication: `content/comments/SLUG.yaml`,
//! a list of comments with optional translations and nested replies. Their text
//! is untrusted: rendered as Markdown, then sanitized.

use crate::error::Error;
use crate::markdown::{self, CommentMeta, LateComments, comment_html};
use crate::yaml;
use serde::Deserialize;
use std::path::Path;

/// One comment as written in the YAML file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Comment {
    pub author: String,
    pub date: Option<String>,
    pub source: Option<String>,
    pub url: Option<String>,
    pub title: Option<String>,
    pub lang: Option<String>,
    #[serde(default)]
    pub body: String,
    pub translation: Option<String>,
    #[serde(default)]
    pub replies: Vec<Comment>,
}

/// Parse a comments file. `path` is for messages.
pub fn parse(path: &Path, text: &str) -> Result<Vec<Comment>, Error> {
    let text = crate::post::normalize(text);
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let comments: Vec<Comment> = yaml::from_str(&text).map_err(|e| Error::new(path, e.line, e.col, e.message).with_source(&text))?;
    fn check(c: &Comment, path: &Path, text: &str) -> Result<(), Error> {
        if c.author.trim().is_empty() {
            return Err(Error::new(path, 0, 0, "a comment needs an `author`").with_source(text));
        }
        if let Some(l) = &c.lang {
            if !crate::config::is_language_code(l) {
                return Err(Error::file(path, format!("comment by `{}`: `lang: {l}` is not a language code", c.author)));
            }
        }
        c.replies.iter().try_for_each(|r| check(r, path, text))
    }
    for c in &comments {
        check(c, path, &text)?;
    }
    Ok(comments)
}

/// Render comments to sanitized HTML, grouped by their `source` in the order
/// each source first appears (replies stay with their comment). One file
/// serves every language version of a post, so the languages do not depend
/// on the page: a comment's text is in its `lang`, else in `original_lang`
/// when it has a `translation` (which is in `translation_lang`), else in
/// `translation_lang`. Ids are `{id_prefix}N` by position in the file.
pub fn render(comments: &[Comment], translation_lang: &str, original_lang: &str, id_prefix: &str) -> Vec<LateComments> {
    let mut groups: Vec<LateComments> = Vec::new();
    for (i, c) in comments.iter().enumerate() {
        let html = render_one(c, translation_lang, original_lang, &format!("{id_prefix}{}", i + 1));
        let source = c.source.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let key = |s: Option<&str>| s.map(str::to_lowercase);
        match groups.iter_mut().find(|g| key(g.source.as_deref()) == key(source)) {
            Some(g) => g.html.push_str(&html),
            None => groups.push(LateComments { source: source.map(String::from), html }),
        }
    }
    groups
}

fn render_one(c: &Comment, post_lang: &str, original_lang: &str, id: &str) -> String {
    let body = markdown::render_untrusted(&c.body);
    let body = match &c.translation {
        Some(t) => {
            let source = c.lang.as_deref().unwrap_or(original_lang);
            format!(
                "<div class=\"bilingual\">\n<div class=\"pair\">\n<div class=\"original\" lang=\"{}\">\n{body}</div>\n<div class=\"translation\" lang=\"{}\">\n{}</div>\n</div>\n</div>\n",
                crate::escape::html(source),
                crate::escape::html(post_lang),
                markdown::render_untrusted(t)
            )
        }
        None => body,
    };
    let mut replies = String::new();
    for (i, r) in c.replies.iter().enumerate() {
        replies.push_str(&render_one(r, post_lang, original_lang, &format!("{id}-{}", i + 1)));
    }
    let title = match (&c.title, &c.source) {
        (Some(t), _) => Some(t.as_str()),
        _ => None,
    };
    let meta = CommentMeta {
        author: &c.author,
        title,
        date: c.date.as_deref(),
        url: c.url.as_deref(),
        lang: if c.translation.is_some() { None } else { Some(c.lang.as_deref().unwrap_or(post_lang)) },
    };
    let mut html = comment_html(id, &meta, &body, &replies, "");
    if let Some(source) = &c.source {
        // The forum a comment was copied from, after the author's name.
        html = html.replacen("</header>", &format!(" <span class=\"comment-source\">{}</span></header>", crate::escape::html(source)), 1);
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "- author: Junta\n  date: 2023-06-09T10:00:00Z\n  source: Slashdot\n  url: https://slashdot.org/c/1\n  title: 这让我想起\n  body: |\n    Basically<script>alert(1)</script> **no**.\n  translation: |\n    基本上，**不**。\n  replies:\n    - author: runton\n      body: \"[x](javascript:alert(1)) <img src=x onerror=alert(1)>\"\n";

    #[test]
    fn renders_sanitized_with_translation_and_replies() {
        let comments = parse(Path::new("content/comments/a.yaml"), FILE).unwrap();
        let groups = render(&comments, "zh", "en", "late-");
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].source.as_deref(), Some("Slashdot"));
        let html = &groups[0].html;
        insta::assert_snapshot!(html);
        assert!(!html.contains("<script") && !html.contains("javascript:") && !html.contains("onerror"));
    }

    #[test]
    fn errors_are_located() {
        let e = parse(Path::new("c.yaml"), "- author: a\n  bdy: x\n").unwrap_err();
        assert_eq!(e.to_string().lines().next().unwrap(), "c.yaml:2:3: error: entry 1: unknown key `bdy` (did you mean `body`?)");
    }
}
