//! `config.yaml`: the site's settings, parsed strictly (unknown keys are errors)
//! and resolved into the values the rest of gen uses (languages in order, the
//! base URL with a trailing slash, the timezone as an offset).

use crate::error::Error;
use crate::yaml;
use chrono::FixedOffset;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// A string given once, or per language: `title: {zh: AI范儿, en: AI Fan}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Localized {
    One(String),
    Many(BTreeMap<String, String>),
}

impl Default for Localized {
    fn default() -> Self {
        Localized::One(String::new())
    }
}

impl Localized {
    /// The text for `lang`: exact match, then the same primary language
    /// (`zh-Hans` for `zh`), then `fallback`'s, then any.
    pub fn get(&self, lang: &str, fallback: &str) -> &str {
        match self {
            Localized::One(s) => s,
            Localized::Many(map) => map
                .get(lang)
                .or_else(|| map.iter().find(|(k, _)| primary(k) == primary(lang)).map(|(_, v)| v))
                .or_else(|| map.get(fallback))
                .or_else(|| map.values().next())
                .map_or("", String::as_str),
        }
    }
}

/// The primary subtag of a BCP 47 code: `zh` for `zh-Hans-CN`.
pub fn primary(lang: &str) -> &str {
    lang.split('-').next().unwrap_or(lang)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    title: Localized,
    #[serde(default)]
    description: Localized,
    base_url: String,
    default_language: Option<String>,
    #[serde(default)]
    languages: Vec<String>,
    #[serde(default)]
    timezone: Option<String>,
    #[serde(default)]
    author: Localized,
    #[serde(default = "default_theme")]
    theme: String,
    #[serde(default = "default_paginate")]
    paginate: usize,
    #[serde(default)]
    feeds: Feeds,
    #[serde(default)]
    highlight: Highlight,
    #[serde(default = "yes")]
    search: bool,
    #[serde(default)]
    email: EmailSetting,
    #[serde(default)]
    autospace: bool,
    #[serde(default)]
    extra: BTreeMap<String, yaml::Value>,
}

fn default_theme() -> String {
    "default".into()
}
fn default_paginate() -> usize {
    10
}
fn yes() -> bool {
    true
}

/// Which feeds to write and how many posts each lists.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Feeds {
    #[serde(default = "yes")]
    pub atom: bool,
    #[serde(default = "yes")]
    pub rss: bool,
    #[serde(default = "yes")]
    pub json: bool,
    #[serde(default = "default_feed_limit")]
    pub limit: usize,
}

fn default_feed_limit() -> usize {
    20
}

impl Default for Feeds {
    fn default() -> Self {
        Feeds { atom: true, rss: true, json: true, limit: 20 }
    }
}

/// The two syntect themes the code stylesheets are generated from.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Highlight {
    #[serde(default = "default_light")]
    pub light: String,
    #[serde(default = "default_dark")]
    pub dark: String,
}

fn default_light() -> String {
    "InspiredGitHub".into()
}
fn default_dark() -> String {
    "base16-ocean.dark".into()
}

impl Default for Highlight {
    fn default() -> Self {
        Highlight { light: default_light(), dark: default_dark() }
    }
}

/// `email: true`, or a map with the links the email edition carries.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
enum EmailSetting {
    Enabled(bool),
    Detailed(EmailConfig),
}

impl Default for EmailSetting {
    fn default() -> Self {
        EmailSetting::Enabled(true)
    }
}

/// Settings of the email edition of each post.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Where a reader unsubscribes; shown in the email footer.
    #[serde(default)]
    pub unsubscribe_url: Option<String>,
}

/// The resolved site configuration.
#[derive(Debug, Clone, Serialize)]
pub struct Config {
    pub title: Localized,
    pub description: Localized,
    /// Always ends with `/`.
    pub base_url: String,
    /// The path part of `base_url`, always starting and ending with `/`.
    pub base_path: String,
    pub default_language: String,
    /// Every language, the default first.
    pub languages: Vec<String>,
    #[serde(skip)]
    pub timezone: FixedOffset,
    pub timezone_name: String,
    pub author: Localized,
    pub theme: String,
    pub paginate: usize,
    pub feeds: Feeds,
    pub highlight: Highlight,
    pub search: bool,
    pub email: EmailConfig,
    pub autospace: bool,
    pub extra: BTreeMap<String, yaml::Value>,
}

impl Config {
    /// Parse `config.yaml`. `path` is used in error messages only.
    pub fn parse(path: &Path, text: &str) -> Result<Config, Vec<Error>> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let raw: RawConfig = yaml::from_str(text).map_err(|e| vec![Error::new(path, e.line, e.col, e.message).with_source(text)])?;
        let at = |key: &str, msg: String| Error::new(path, yaml::key_line(text, key).unwrap_or(0), 1, msg).with_source(text);
        let mut errors = Vec::new();

        let mut languages = raw.languages.clone();
        let default_language = match &raw.default_language {
            Some(l) => l.clone(),
            None => languages.first().cloned().unwrap_or_else(|| "en".into()),
        };
        if !languages.contains(&default_language) {
            languages.insert(0, default_language.clone());
        }
        // The default language first, the others in the order given.
        languages.sort_by_key(|l| *l != default_language);
        let mut seen = std::collections::BTreeSet::new();
        for l in &languages {
            if !is_language_code(l) {
                errors.push(at("languages", format!("`{l}` is not a BCP 47 language code (e.g. `zh`, `zh-Hans`, `en-GB`)")));
            }
            if !seen.insert(l) {
                errors.push(at("languages", format!("language `{l}` is listed twice")));
            }
        }

        let (timezone, timezone_name) = match raw.timezone.as_deref() {
            None => (FixedOffset::east_opt(0).expect("zero offset"), "+00:00".to_string()),
            Some(tz) => match parse_offset(tz) {
                Some(off) => (off, tz.to_string()),
                None => {
                    errors.push(at("timezone", format!("timezone `{tz}` is not an offset like `+08:00`, `-05:00` or `UTC`")));
                    (FixedOffset::east_opt(0).expect("zero offset"), "+00:00".into())
                }
            },
        };

        let base_url = raw.base_url.trim().to_string();
        let base_path = match base_path_of(&base_url) {
            Some(p) => p,
            None => {
                errors.push(at("base_url", format!("base_url `{base_url}` must be an absolute http(s) URL such as `https://example.com/letter/`")));
                "/".into()
            }
        };
        let base_url = if base_url.ends_with('/') { base_url } else { format!("{base_url}/") };
        if raw.paginate == 0 {
            errors.push(at("paginate", "paginate must be at least 1".into()));
        }
        if raw.feeds.limit == 0 {
            errors.push(at("feeds", "feeds.limit must be at least 1".into()));
        }
        let email = match raw.email {
            EmailSetting::Enabled(enabled) => EmailConfig { enabled, unsubscribe_url: None },
            EmailSetting::Detailed(e) => e,
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Config {
            title: raw.title,
            description: raw.description,
            base_url,
            base_path,
            default_language,
            languages,
            timezone,
            timezone_name,
            author: raw.author,
            theme: raw.theme,
            paginate: raw.paginate,
            feeds: raw.feeds,
            highlight: raw.highlight,
            search: raw.search,
            email,
            autospace: raw.autospace,
            extra: raw.extra,
        })
    }

    /// Replace the base URL (e.g. `--base-url`, or the local address while serving).
    pub fn set_base_url(&mut self, url: &str) -> Result<(), String> {
        let path = base_path_of(url).ok_or_else(|| format!("`{url}` is not an absolute http(s) URL"))?;
        self.base_url = if url.ends_with('/') { url.to_string() } else { format!("{url}/") };
        self.base_path = path;
        Ok(())
    }

    /// URL path prefix of a language: `` for the default, `en/` for others.
    pub fn lang_prefix(&self, lang: &str) -> String {
        if lang == self.default_language { String::new() } else { format!("{lang}/") }
    }

    /// Whether `lang` is one of the site's languages.
    pub fn has_language(&self, lang: &str) -> bool {
        self.languages.iter().any(|l| l == lang)
    }
}

/// `+08:00`, `-0500`, `UTC`, `Z`.
pub fn parse_offset(s: &str) -> Option<FixedOffset> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("utc") || s == "Z" {
        return FixedOffset::east_opt(0);
    }
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) || (rest.contains(':') && rest.len() != 5) {
        return None;
    }
    let h: i32 = digits[..2].parse().ok()?;
    let m: i32 = digits[2..].parse().ok()?;
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// The path of an absolute http(s) URL, with leading and trailing slashes.
fn base_path_of(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if host.is_empty() || host.contains(char::is_whitespace) || path.contains(['?', '#']) {
        return None;
    }
    let trimmed = path.trim_matches('/');
    Some(if trimmed.is_empty() { "/".into() } else { format!("/{trimmed}/") })
}

/// A BCP 47 tag of the common shape: `zh`, `zh-Hans`, `zh-CN`, `en-GB`, `es-419`.
pub fn is_language_code(s: &str) -> bool {
    let mut parts = s.split('-');
    let first = parts.next().unwrap_or_default();
    (2..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, Vec<Error>> {
        Config::parse(Path::new("config.yaml"), text)
    }

    #[test]
    fn resolves_languages_and_base() {
        let c = parse("title: {zh: AI范儿, en: AI Fan}\nbase_url: https://example.com/letter\nlanguages: [en, zh]\ndefault_language: zh\ntimezone: \"+08:00\"\n").unwrap();
        assert_eq!(c.languages, ["zh", "en"]);
        assert_eq!(c.base_url, "https://example.com/letter/");
        assert_eq!(c.base_path, "/letter/");
        assert_eq!(c.title.get("en", "zh"), "AI Fan");
        assert_eq!(c.title.get("en-GB", "zh"), "AI Fan");
        assert_eq!(c.timezone.local_minus_utc(), 8 * 3600);
        assert_eq!(c.lang_prefix("en"), "en/");
    }

    #[test]
    fn unknown_key_is_located_with_suggestion() {
        let errs = parse("title: x\nbase_url: https://e.com/\npaginat: 3\n").unwrap_err();
        assert_eq!(errs[0].to_string().lines().next().unwrap(), "config.yaml:3:1: error: unknown key `paginat` (did you mean `paginate`?)");
    }

    #[test]
    fn bad_values_are_all_reported() {
        let errs = parse("title: x\nbase_url: example.com\ntimezone: Mars\nlanguages: [zh, EN]\n").unwrap_err();
        assert_eq!(errs.len(), 3, "{errs:?}");
    }

    #[test]
    fn offsets() {
        assert_eq!(parse_offset("-05:30").unwrap().local_minus_utc(), -(5 * 3600 + 1800));
        assert_eq!(parse_offset("+0800").unwrap().local_minus_utc(), 8 * 3600);
        assert!(parse_offset("+8").is_none());
        assert!(parse_offset("+25:00").is_none());
    }

    #[test]
    fn language_codes() {
        for ok in ["zh", "zh-Hans", "zh-CN", "en", "en-GB", "es-419"] {
            assert!(is_language_code(ok), "{ok}");
        }
        for bad in ["", "Zh", "english", "zh_CN", "zh-"] {
            assert!(!is_language_code(bad), "{bad}");
        }
    }
}
