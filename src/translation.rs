//! Translations and their originals: what a translation records of its
//! original (`translated_from`: a short hash of the title and of each
//! paragraph), how much the original changed since, and the scaffold that
//! `gen new --translate` writes. Pure: text in, text or findings out.

use crate::config::Config;
use crate::error::Error;
use crate::frontmatter::TranslatedFrom;
use crate::markdown::blocks;
use crate::post::Post;
use crate::site::Site;
use std::collections::BTreeMap;

/// How far an original moved on since its translation recorded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Drift {
    /// Paragraphs of the original that are new, changed or gone.
    pub paragraphs: usize,
    /// Paragraphs the original has now.
    pub total: usize,
    /// Whether its title changed.
    pub title: bool,
    /// The line of the original's file where its first new or changed paragraph starts.
    pub first_line: Option<usize>,
}

impl Drift {
    /// `2 of 14 paragraphs and the title changed`.
    pub fn describe(&self) -> String {
        let paragraphs = format!("{} of {} paragraph{}", self.paragraphs, self.total, if self.total == 1 { "" } else { "s" });
        match (self.paragraphs, self.title) {
            (0, true) => "the title changed".into(),
            (_, true) => format!("{paragraphs} and the title changed"),
            _ => format!("{paragraphs} changed"),
        }
    }
}

/// One line per stale translation of `site`: where it is and what changed in its original.
pub fn stale(site: &Site) -> Vec<Error> {
    let mut out: Vec<Error> = site
        .entries
        .iter()
        .filter_map(|e| {
            let (j, drift) = e.stale?;
            let o = &site.entries[j].post;
            let at = drift.first_line.map(|l| format!(" (the first at {}:{l})", crate::error::display_path(&o.path))).unwrap_or_default();
            let message = format!(
                "the original {} changed after this translation was made: {}{at}; update the translation, then run `gen new --translate {} --lang {} --refresh`",
                crate::error::display_path(&o.path),
                drift.describe(),
                o.content_path,
                e.post.lang
            );
            Some(Error::new(&e.post.path, e.post.line_of("translated_from"), 0, message))
        })
        .collect();
    out.sort();
    out
}

/// A short, stable hash of a piece of text: 8 hex digits of its CRC-32,
/// ignoring whitespace, so that re-wrapping a paragraph changes nothing.
pub fn hash(text: &str) -> String {
    let mut h = crc32fast::Hasher::new();
    let mut buf = [0u8; 4];
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        h.update(c.encode_utf8(&mut buf).as_bytes());
    }
    format!("{:08x}", h.finalize())
}

/// The paragraphs of a body: its text between blank lines.
pub fn paragraphs(body: &str) -> Vec<&str> {
    paragraph_lines(body).into_iter().map(|(_, p)| p).collect()
}

/// The paragraphs of a body with the 1-based line (in the body) each starts on.
fn paragraph_lines(body: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start: Option<(usize, usize)> = None;
    let mut end = 0;
    let mut pos = 0;
    for (n, line) in body.split_inclusive('\n').enumerate() {
        if line.trim().is_empty() {
            if let Some((l, s)) = start.take() {
                out.push((l, body[s..end].trim()));
            }
        } else {
            start.get_or_insert((n + 1, pos));
            end = pos + line.len();
        }
        pos += line.len();
    }
    if let Some((l, s)) = start {
        out.push((l, body[s..end].trim()));
    }
    out
}

/// What a translation of `original` records of it now.
pub fn record(original: &Post) -> TranslatedFrom {
    TranslatedFrom {
        lang: Some(original.lang.clone()),
        title: Some(hash(&original.title)),
        paragraphs: paragraphs(&original.body).into_iter().map(hash).collect(),
    }
}

/// How `original` differs from what `recorded` says of it; `None` when it
/// is as recorded, or when nothing was recorded (`translated_from: {lang: zh}`).
pub fn drift(recorded: &TranslatedFrom, original: &Post) -> Option<Drift> {
    if recorded.title.is_none() && recorded.paragraphs.is_empty() {
        return None;
    }
    let now: Vec<(usize, String)> = paragraph_lines(&original.body).into_iter().map(|(l, p)| (l, hash(p))).collect();
    let mut then: BTreeMap<String, usize> = BTreeMap::new();
    for h in &recorded.paragraphs {
        *then.entry(h.to_ascii_lowercase()).or_default() += 1;
    }
    // Paragraphs of the original that the record does not account for, in order.
    let mut new_lines = Vec::new();
    for (line, h) in &now {
        match then.get_mut(h) {
            Some(n) if *n > 0 => *n -= 1,
            _ => new_lines.push(*line),
        }
    }
    let gone: usize = then.values().sum();
    // A changed paragraph is one new hash and one gone: count it once.
    let paragraphs = new_lines.len().max(gone);
    let title = recorded.title.as_ref().is_some_and(|t| !t.eq_ignore_ascii_case(&hash(&original.title)));
    let first_line = new_lines.first().map(|l| original.body_line + l - 1);
    (paragraphs > 0 || title).then_some(Drift { paragraphs, total: now.len(), title, first_line })
}

/// The `translated_from:` block of a front matter, as `gen new --translate` writes it.
pub fn yaml_block(tf: &TranslatedFrom) -> String {
    let quoted: Vec<String> = tf.paragraphs.iter().map(|h| format!("\"{h}\"")).collect();
    let mut s = String::from("translated_from:\n");
    if let Some(lang) = &tf.lang {
        s.push_str(&format!("  lang: {lang}\n"));
    }
    if let Some(title) = &tf.title {
        s.push_str(&format!("  title: \"{title}\"\n"));
    }
    s.push_str(&format!("  paragraphs: [{}]\n", quoted.join(", ")));
    s
}

/// The top-level keys of a front matter with their lines (the key's line and
/// the indented lines under it), in order.
fn top_level_keys(yaml: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in yaml.split_inclusive('\n') {
        let starts_key = !line.starts_with([' ', '\t', '-', '#']) && !line.trim().is_empty();
        match (starts_key, line.split_once(':')) {
            (true, Some((key, _))) => out.push((key.trim().to_string(), line.to_string())),
            _ => {
                if let Some((_, text)) = out.last_mut() {
                    text.push_str(line);
                }
            }
        }
    }
    for (_, text) in &mut out {
        if !text.ends_with('\n') {
            text.push('\n');
        }
    }
    out
}

/// Keys a translation carries over from its original unchanged.
const CARRIED: &[&str] =
    &["date", "updated", "author", "location", "issue", "tags", "cover", "source", "original_url", "credits", "references", "related"];

/// The text of a new translation of `original` (whose front matter YAML is
/// `original.front_matter`) into `lang`: the front matter carried over, the
/// title and body to translate, and `translated_from` recording the original.
/// `tags` maps a tag of the original to its name in `lang`, where known.
pub fn scaffold(original: &Post, lang: &str, config: &Config, tags: &dyn Fn(&str) -> Option<String>) -> String {
    let mut s = String::from("---\n");
    let title = serde_json::to_string(&original.title).unwrap_or_else(|_| format!("\"{}\"", original.title.replace('"', "'")));
    s.push_str(&format!("title: {title}   # translate the title and the body below into {lang}\n"));
    for (key, text) in top_level_keys(&original.front_matter) {
        if !CARRIED.contains(&key.as_str()) {
            continue;
        }
        if key == "tags" && !original.tags.is_empty() {
            let names: Vec<String> =
                original.tags.iter().map(|t| tags(t).unwrap_or_else(|| t.clone())).map(|t| serde_json::to_string(&t).unwrap_or_default()).collect();
            s.push_str(&format!("tags: [{}]\n", names.join(", ")));
            continue;
        }
        s.push_str(&text);
    }
    s.push_str(&yaml_block(&record(original)));
    s.push_str("---\n");
    s.push_str(&swap_bilingual(&original.body, &original.lang, lang, crate::site::original_lang(config, &original.lang)));
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// Replace (or add) the `translated_from` block of the front matter of `text`.
pub fn refresh(text: &str, tf: &TranslatedFrom) -> Option<String> {
    let text = crate::post::normalize(text);
    let split = crate::frontmatter::split(&text).ok()?;
    let mut yaml = String::new();
    let mut done = false;
    for (key, lines) in top_level_keys(split.yaml) {
        if key == "translated_from" {
            yaml.push_str(&yaml_block(tf));
            done = true;
        } else {
            yaml.push_str(&lines);
        }
    }
    // Comments or blank lines before the first key.
    let lead: String = split.yaml.split_inclusive('\n').take_while(|l| l.starts_with('#') || l.trim().is_empty()).collect();
    if !done {
        yaml.push_str(&yaml_block(tf));
    }
    Some(format!("---\n{lead}{yaml}---\n{}", split.body))
}

/// The body of `original` (in `from`) made ready to translate into `to`: in
/// each `bilingual` block, pairs stay pairs. Where the block's originals are
/// already in `to` (an English source quoted in a Chinese post, translated
/// into English), original and translation swap places, so that the text in
/// `to` is the translation a reader of `to` reads; elsewhere the block's
/// target becomes `to`, its second halves the text to translate.
pub fn swap_bilingual(body: &str, from: &str, to: &str, default_source: &str) -> String {
    let Ok(scanned) = blocks::scan(body) else { return body.to_string() };
    let lines: Vec<&str> = body.split_inclusive('\n').collect();
    // Replacements by first line (0-based): (last line, new text).
    let mut swaps: BTreeMap<usize, (usize, String)> = BTreeMap::new();
    for b in scanned.blocks.iter().filter(|b| b.name == "bilingual" && b.close_line > b.line) {
        let inner = &lines[b.line..b.close_line - 1];
        if inner.iter().any(|l| l.trim_start().starts_with(":::")) {
            continue;
        }
        let source = b.attrs.get("source").map_or(default_source, String::as_str);
        let target = b.attrs.get("target").map_or(from, String::as_str);
        let inner_text: String = inner.concat();
        let chunks = paragraphs(&inner_text);
        let swap = source == to;
        if swap && chunks.len() % 2 == 1 {
            continue;
        }
        let mut attrs: Vec<String> = b.id.iter().map(|id| format!("#{id}")).collect();
        attrs.extend(b.classes.iter().filter(|c| c.as_str() != "bilingual").map(|c| format!(".{c}")));
        let (new_source, new_target) = if swap { (target, to) } else { (source, to) };
        attrs.push(format!("source={new_source}"));
        attrs.push(format!("target={new_target}"));
        let mut text = format!("::: bilingual {{{}}}\n", attrs.join(" "));
        let ordered: Vec<&str> = if swap { chunks.chunks(2).flat_map(|p| [p[1], p[0]]).collect() } else { chunks };
        text.push_str(&ordered.join("\n\n"));
        text.push_str("\n:::\n");
        swaps.insert(b.line - 1, (b.close_line - 1, text));
    }
    let mut out = String::with_capacity(body.len());
    let mut i = 0;
    while i < lines.len() {
        match swaps.get(&i) {
            Some((last, text)) => {
                out.push_str(text);
                if !lines[*last].ends_with('\n') {
                    out.pop();
                }
                i = last + 1;
            }
            None => {
                out.push_str(lines[i]);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn config() -> Config {
        Config::parse(Path::new("config.yaml"), "title: t\nbase_url: https://e.com/\nlanguages: [zh, en]\n").unwrap()
    }

    fn post(text: &str) -> Post {
        Post::parse("posts/a.md", text, &config()).unwrap()
    }

    #[test]
    fn hashes_ignore_wrapping() {
        assert_eq!(hash("一段\n文字 here"), hash("一段文字here"));
        assert_ne!(hash("a"), hash("b"));
        assert_eq!(hash("").len(), 8);
    }

    #[test]
    fn paragraphs_are_split_at_blank_lines() {
        assert_eq!(paragraphs("\n\na\nb\n\n  \nc\n"), ["a\nb", "c"]);
        assert!(paragraphs("").is_empty());
    }

    #[test]
    fn drift_counts_changed_paragraphs_and_title() {
        let p = post("---\ntitle: 标题\ndate: 2023-01-01\n---\n一\n\n二\n\n三\n");
        let rec = record(&p);
        assert_eq!(drift(&rec, &p), None);
        let q = post("---\ntitle: 新标题\ndate: 2023-01-01\n---\n一\n\n二改\n\n三\n\n四\n");
        // The body starts at line 5: 一, then 二改 at line 7, the first changed paragraph.
        assert_eq!(drift(&rec, &q), Some(Drift { paragraphs: 2, total: 4, title: true, first_line: Some(7) }));
        assert_eq!(drift(&rec, &q).unwrap().describe(), "2 of 4 paragraphs and the title changed");
        let r = post("---\ntitle: 标题\ndate: 2023-01-01\n---\n一\n\n三\n");
        assert_eq!(drift(&rec, &r).unwrap().describe(), "1 of 2 paragraphs changed");
        // No hashes recorded for the title: only paragraphs count.
        let partial = TranslatedFrom { title: None, ..rec };
        assert!(!drift(&partial, &q).unwrap().title);
        // Nothing recorded: never stale.
        let nothing = TranslatedFrom { lang: Some("zh".into()), title: None, paragraphs: Vec::new() };
        assert_eq!(drift(&nothing, &q), None);
    }

    #[test]
    fn bilingual_pairs_swap_when_the_source_is_the_new_language() {
        let body = "intro\n\n::: bilingual {source=en target=zh}\n> **Hello.**\n\n> 你好。\n\nBye.\n\n再见。\n:::\nend\n";
        assert_eq!(
            swap_bilingual(body, "zh", "en", "en"),
            "intro\n\n::: bilingual {source=zh target=en}\n> 你好。\n\n> **Hello.**\n\n再见。\n\nBye.\n:::\nend\n"
        );
        // Into a third language the originals stay; the translations are to be redone.
        assert_eq!(
            swap_bilingual(body, "zh", "ja", "en"),
            "intro\n\n::: bilingual {source=en target=ja}\n> **Hello.**\n\n> 你好。\n\nBye.\n\n再见。\n:::\nend\n"
        );
    }

    #[test]
    fn scaffold_carries_front_matter_and_records_the_original() {
        let p = post(
            "---\ntitle: \"标题: 一\"\ndate: 2023-06-08 06:14\nissue: 3\ntags: [AI安全, 芯片]\nslug: x\ncover:\n  image: a.png\n  alt: 图\n---\n第一段。\n\n第二段。\n",
        );
        let tags = |t: &str| (t == "AI安全").then(|| "AI safety".to_string());
        let text = scaffold(&p, "en", &config(), &tags);
        assert!(text.starts_with("---\ntitle: \"标题: 一\"   # translate"), "{text}");
        assert!(text.contains("date: 2023-06-08 06:14\nissue: 3\ntags: [\"AI safety\", \"芯片\"]\ncover:\n  image: a.png\n  alt: 图\n"), "{text}");
        assert!(!text.contains("slug:"));
        assert!(text.ends_with("---\n第一段。\n\n第二段。\n"));
        let t = Post::parse("posts/a.en.md", &text, &config()).unwrap();
        assert_eq!(t.translated_from.as_ref().unwrap(), &record(&p));
        assert_eq!(t.issue, Some(3));
    }

    #[test]
    fn refresh_replaces_the_block_only() {
        let p = post("---\ntitle: 标题\ndate: 2023-01-01\n---\n一\n");
        let old = "---\ntitle: Title\ntranslated_from:\n  lang: zh\n  paragraphs: [\"00000000\"]\ndate: 2023-01-01\n---\nOne\n";
        let new = refresh(old, &record(&p)).unwrap();
        assert_eq!(new, format!("---\ntitle: Title\n{}date: 2023-01-01\n---\nOne\n", yaml_block(&record(&p))));
        let added = refresh("---\ntitle: T\n---\nx", &record(&p)).unwrap();
        assert!(added.ends_with(&format!("{}---\nx", yaml_block(&record(&p)))), "{added}");
    }
}
