//! `config.yaml`: the site's settings, parsed strictly (unknown keys are errors)
//! and resolved into the values the rest of gen uses (languages in order, the
//! base URL with a trailing slash, the time zone as an offset or IANA zone).

use crate::date::Zone;
use crate::error::Error;
use crate::yaml;
use chrono::FixedOffset;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// A string given once, or per language: `title: {zh: AI范儿, en: AI Fan}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Localized {
    One(String),
    Many(BTreeMap<String, String>),
}

/// By hand rather than `untagged`, so that a wrong value is reported at its key
/// and line instead of as "data did not match any variant" at the top of the file.
impl<'de> Deserialize<'de> for Localized {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Localized;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("text, or a map from language to text (`{zh: …, en: …}`)")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Localized, E> {
                Ok(Localized::One(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Localized, E> {
                Ok(Localized::One(v.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Localized, E> {
                Ok(Localized::One(v.to_string()))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Localized, E> {
                Ok(Localized::default())
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Localized, A::Error> {
                BTreeMap::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Localized::Many)
            }
        }
        d.deserialize_any(Visitor)
    }
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
    #[serde(default = "default_paginate_archive")]
    paginate_archive: usize,
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
    untranslated: Untranslated,
    #[serde(default)]
    tags: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    extra: BTreeMap<String, yaml::Value>,
}

/// What the lists of a language show of posts that have no version in it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Untranslated {
    /// Nothing: each language lists its own posts only.
    #[default]
    Hide,
    /// The original, marked as being in its own language, linking to it.
    List,
}

fn default_theme() -> String {
    "default".into()
}
fn default_paginate() -> usize {
    10
}
fn default_paginate_archive() -> usize {
    100
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
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
enum EmailSetting {
    Enabled(bool),
    Detailed(EmailConfig),
}

/// By hand for the same reason as [`Localized`]: errors at the key, not the file.
impl<'de> Deserialize<'de> for EmailSetting {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = EmailSetting;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("`true`, `false`, or a map with `enabled` and `unsubscribe_url`")
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<EmailSetting, E> {
                Ok(EmailSetting::Enabled(v))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<EmailSetting, A::Error> {
                EmailConfig::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(EmailSetting::Detailed)
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl Default for EmailSetting {
    fn default() -> Self {
        EmailSetting::Enabled(true)
    }
}

/// Settings of the email edition of each post, and of the messages `gen email`
/// writes and `gen send` sends.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The sender: `"名字 <addr@example.com>"` or a bare address.
    #[serde(default)]
    pub from: Option<String>,
    /// Where replies go, when not to `from`.
    #[serde(default)]
    pub reply_to: Option<String>,
    /// The subject line, a template with `{title}`, `{issue}`, `{site}`,
    /// `{date}` (per language, like `title`); default: the issue label and the title.
    #[serde(default)]
    pub subject: Option<Localized>,
    /// Where a reader unsubscribes; shown in the email footer and sent as
    /// `List-Unsubscribe`. A mail service's merge tag (`{{ UnsubscribeURL }}`,
    /// `*|UNSUB|*`) is written exactly as given.
    #[serde(default)]
    pub unsubscribe_url: Option<String>,
    /// The SMTP server `gen send` delivers through.
    #[serde(default)]
    pub smtp: Option<Smtp>,
}

impl Default for EmailConfig {
    fn default() -> Self {
        EmailConfig { enabled: true, from: None, reply_to: None, subject: None, unsubscribe_url: None, smtp: None }
    }
}

/// `email.smtp`: the server `gen send` delivers through. The password is read
/// only from the environment variable `password_env` names.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Smtp {
    pub host: String,
    /// Default: 587 for `starttls`, 465 for `tls`, 25 for `none`.
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password_env: Option<String>,
    #[serde(default)]
    pub tls: SmtpTls,
    /// Seconds gen waits for the server at each step (connecting, each reply).
    #[serde(default = "default_smtp_timeout")]
    pub timeout: u64,
}

fn default_smtp_timeout() -> u64 {
    20
}

impl Smtp {
    /// The port given, or the usual one for the TLS mode.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            SmtpTls::None => 25,
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
        })
    }
}

/// How `gen send` secures its SMTP connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text (a local relay, a test server).
    None,
    /// Plain connection upgraded with STARTTLS, which must succeed.
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// The placeholders a subject template may use.
pub const SUBJECT_FIELDS: [&str; 4] = ["title", "issue", "site", "date"];

/// The `{name}` placeholders of a subject template that are not
/// [`SUBJECT_FIELDS`]; `{{ … }}` (a mail service's merge tag) is left alone.
pub fn unknown_subject_fields(template: &str) -> Vec<&str> {
    let mut unknown = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        if rest[i..].starts_with("{{") {
            rest = rest[i + 2..].find("}}").map_or("", |j| &rest[i + 2 + j + 2..]);
            continue;
        }
        let after = &rest[i + 1..];
        match after.find('}') {
            Some(j) => {
                let name = &after[..j];
                if !SUBJECT_FIELDS.contains(&name) {
                    unknown.push(name);
                }
                rest = &after[j + 1..];
            }
            None => break,
        }
    }
    unknown
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
    /// Where dates written without an offset are: a fixed offset or an IANA zone.
    #[serde(skip)]
    pub timezone: Zone,
    /// `timezone` as written (`+08:00`, `Asia/Shanghai`).
    pub timezone_name: String,
    pub author: Localized,
    pub theme: String,
    /// Posts per page of the index and of each tag's page.
    pub paginate: usize,
    /// Posts per page of the archive.
    pub paginate_archive: usize,
    pub feeds: Feeds,
    pub highlight: Highlight,
    pub search: bool,
    pub email: EmailConfig,
    pub autospace: bool,
    pub untranslated: Untranslated,
    /// Tag translations: a tag of the default language → its name per other language.
    pub tags: BTreeMap<String, BTreeMap<String, String>>,
    pub extra: BTreeMap<String, yaml::Value>,
    /// The text of config.yaml, for errors found later (a missing theme) to quote.
    #[serde(skip)]
    pub source: String,
}

impl Config {
    /// An error about the value of the top-level `key` of config.yaml, located and quoted.
    pub fn error_at(&self, key: &str, message: impl Into<String>) -> Error {
        let (line, col) = value_position(&self.source, key, None);
        Error::new("config.yaml", line, col, message).with_source(&self.source)
    }

    /// Like [`Config::error_at`], with the caret under `value` inside the key's value
    /// (`highlight: {light: X, dark: Y}`) where it can be found.
    pub fn error_at_value(&self, key: &str, value: &str, message: impl Into<String>) -> Error {
        let (line, col) = value_position(&self.source, key, Some(value));
        Error::new("config.yaml", line, col, message).with_source(&self.source)
    }

    /// Parse `config.yaml`. `path` is used in error messages only.
    pub fn parse(path: &Path, text: &str) -> Result<Config, Vec<Error>> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let raw: RawConfig = yaml::from_str(text).map_err(|e| {
            // serde names a missing key at the top of the file, which is not where it is missing.
            if e.message.starts_with("missing required key") {
                let example = if e.message.contains("`base_url`") { " (e.g. `base_url: https://example.com/letter/`)" } else { "" };
                return vec![Error::file(path, format!("{}{example}", e.message))];
            }
            vec![Error::new(path, e.line, e.col, e.message).with_source(text)]
        })?;
        let at_value = |key: &str, value: Option<&str>, msg: String| {
            let (line, col) = value_position(text, key, value);
            Error::new(path, line, col, msg).with_source(text)
        };
        let at = |key: &str, msg: String| at_value(key, None, msg);
        let mut errors = Vec::new();

        let mut languages = raw.languages.clone();
        let default_language = match &raw.default_language {
            Some(l) => l.clone(),
            None => languages.first().cloned().unwrap_or_else(|| "en".into()),
        };
        if !languages.contains(&default_language) {
            if !languages.is_empty() {
                errors.push(at(
                    "default_language",
                    format!("default_language `{default_language}` is not one of `languages` ({}); add it there", languages.join(", ")),
                ));
            }
            languages.insert(0, default_language.clone());
        }
        // The default language first, the others in the order given.
        languages.sort_by_key(|l| *l != default_language);
        let mut seen = std::collections::BTreeSet::new();
        for l in &languages {
            if !is_language_code(l) {
                errors.push(at_value("languages", Some(l), format!("`{l}` is not a BCP 47 language code (e.g. `zh`, `zh-Hans`, `en-GB`)")));
            }
            if !seen.insert(l) {
                errors.push(at_value("languages", Some(l), format!("language `{l}` is listed twice")));
            }
        }

        let (timezone, timezone_name) = match raw.timezone.as_deref() {
            None => (Zone::default(), "+00:00".to_string()),
            Some(tz) => match Zone::parse(tz) {
                Ok(zone) => (zone, tz.trim().to_string()),
                Err(message) => {
                    errors.push(at("timezone", message));
                    (Zone::default(), "+00:00".into())
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
        for names in raw.tags.values() {
            for (l, name) in names {
                if !languages.contains(l) {
                    let hint = crate::error::did_you_mean(l, languages.iter().map(String::as_str));
                    errors.push(at_value(
                        "tags",
                        Some(l),
                        format!("tag translation into `{l}`, which is not one of the site's languages ({}){hint}", languages.join(", ")),
                    ));
                } else if crate::slug::tag_slug(name).is_empty() {
                    errors.push(at_value("tags", Some(name), format!("tag translation `{name}` has no letters or digits")));
                }
            }
        }
        if raw.paginate == 0 {
            errors.push(at("paginate", "paginate must be at least 1".into()));
        }
        if raw.paginate_archive == 0 {
            errors.push(at("paginate_archive", "paginate_archive must be at least 1".into()));
        }
        if raw.feeds.limit == 0 {
            errors.push(at("feeds", "feeds.limit must be at least 1".into()));
        }
        let email = match raw.email {
            EmailSetting::Enabled(enabled) => EmailConfig { enabled, ..EmailConfig::default() },
            EmailSetting::Detailed(e) => e,
        };
        errors.extend(email_errors(&email, &at_value));
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
            paginate_archive: raw.paginate_archive,
            feeds: raw.feeds,
            highlight: raw.highlight,
            search: raw.search,
            email,
            autospace: raw.autospace,
            untranslated: raw.untranslated,
            tags: raw.tags,
            extra: raw.extra,
            source: text.to_string(),
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

    /// The names of one linked tag in every language of the site: the
    /// translations config.yaml gives (`tags: {AI安全: {en: AI safety}}`),
    /// and the tag `key` itself in the other languages.
    pub fn tag_group<'a>(&'a self, key: &'a str, names: &'a BTreeMap<String, String>) -> BTreeMap<&'a str, &'a str> {
        self.languages.iter().map(|l| (l.as_str(), names.get(l).map_or(key, String::as_str))).collect()
    }

    /// The name in `to` of the tag `tag` of language `from`, if config.yaml translates it.
    pub fn tag_name(&self, tag: &str, from: &str, to: &str) -> Option<String> {
        let wanted = crate::slug::tag_slug(tag);
        self.tags.iter().map(|(k, names)| self.tag_group(k, names)).find_map(|group| {
            let here = group.get(from)?;
            (crate::slug::tag_slug(here) == wanted).then(|| group.get(to).map(|n| n.to_string()))?
        })
    }

    /// Whether `lang` is one of the site's languages.
    pub fn has_language(&self, lang: &str) -> bool {
        self.languages.iter().any(|l| l == lang)
    }
}

/// The problems of the `email:` settings: addresses that do not parse,
/// unknown subject placeholders, an SMTP block without a host.
fn email_errors(email: &EmailConfig, at: &dyn Fn(&str, Option<&str>, String) -> Error) -> Vec<Error> {
    let mut errors = Vec::new();
    for (key, value) in [("from", &email.from), ("reply_to", &email.reply_to)] {
        let Some(v) = value else { continue };
        if v.parse::<lettre::message::Mailbox>().is_err() {
            errors.push(at(
                "email",
                Some(v),
                format!("email.{key} `{v}` is not an email address; write `Name <name@example.com>` or `name@example.com`"),
            ));
        }
    }
    if let Some(subject) = &email.subject {
        let templates: Vec<&String> = match subject {
            Localized::One(s) => vec![s],
            Localized::Many(m) => m.values().collect(),
        };
        for t in templates {
            for name in unknown_subject_fields(t) {
                let hint = crate::error::did_you_mean(name, SUBJECT_FIELDS.iter().copied());
                errors.push(at(
                    "email",
                    Some(&format!("{{{name}}}")),
                    format!("email.subject has an unknown placeholder `{{{name}}}`{hint}; it may use {{title}}, {{issue}}, {{site}} and {{date}}"),
                ));
            }
        }
    }
    if let Some(url) = &email.unsubscribe_url {
        if url.trim().is_empty() || (url.contains(char::is_whitespace) && !crate::escape::has_merge_tag(url)) {
            errors.push(at(
                "email",
                Some("unsubscribe_url"),
                format!("email.unsubscribe_url `{url}` is not a URL or a merge tag such as `{{{{ UnsubscribeURL }}}}`"),
            ));
        }
    }
    if let Some(smtp) = &email.smtp {
        if smtp.host.trim().is_empty() {
            errors.push(at("email", Some("host"), "email.smtp.host is empty; name the SMTP server, e.g. `host: smtp.example.com`".into()));
        }
        if smtp.timeout == 0 {
            errors.push(at("email", Some("timeout"), "email.smtp.timeout must be at least 1 (seconds)".into()));
        }
        if let Some(var) = &smtp.password_env {
            if var.is_empty() || !var.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                errors.push(at(
                    "email",
                    Some(var),
                    format!("email.smtp.password_env `{var}` is not an environment variable name (e.g. `SMTP_PASSWORD`); the password itself never goes in config.yaml"),
                ));
            }
        }
    }
    errors
}

/// Line and column of the value of the top-level `key` (or of `value` inside it,
/// when given and found), for carets under bad values. `(0, 0)` when the key is absent.
fn value_position(text: &str, key: &str, value: Option<&str>) -> (usize, usize) {
    let Some(line) = yaml::key_line(text, key) else { return (0, 0) };
    let lines: Vec<&str> = text.lines().collect();
    let col_of = |l: &str, byte: usize| l[..byte].chars().count() + 1;
    let first = lines[line - 1];
    let after_colon = first.find(':').map_or(0, |i| i + 1);
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        // The key's own line, then the indented lines of its block.
        let block = std::iter::once((line, first, after_colon))
            .chain(lines[line..].iter().take_while(|l| l.starts_with([' ', '-']) || l.is_empty()).enumerate().map(|(i, l)| (line + 1 + i, *l, 0)));
        for (n, l, from) in block {
            if let Some(i) = l[from..].find(v) {
                return (n, col_of(l, from + i));
            }
        }
    }
    let rest = &first[after_colon..];
    (line, col_of(first, after_colon + (rest.len() - rest.trim_start().len())))
}

/// Whether `url` can be a base URL (`https://example.com/letter/`), as the
/// command line checks `--base-url` before it builds anything.
pub fn check_base_url(url: &str) -> Result<(), String> {
    match base_path_of(url) {
        Some(_) => Ok(()),
        None => Err(format!("`{url}` is not an absolute http(s) URL such as `https://example.com/letter/`")),
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
        assert_eq!(c.timezone, Zone::Fixed(FixedOffset::east_opt(8 * 3600).unwrap()));
        let ny = parse("title: x\nbase_url: https://e.com/\ntimezone: America/New_York\n").unwrap();
        assert_eq!((ny.timezone.to_string(), ny.timezone_name.as_str()), ("America/New_York".to_string(), "America/New_York"));
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
    fn errors_point_at_the_bad_value() {
        let first = |text: &str| parse(text).unwrap_err()[0].to_string().lines().next().unwrap().to_string();
        assert_eq!(
            first("title: [1]\nbase_url: https://e.com/\n"),
            "config.yaml:1:8: error: `title` must be text, or a map from language to text (`{zh: …, en: …}`), not a list"
        );
        assert_eq!(first("title: x\nbase_url: https://e.com/\nemail: 3\n").split(": error: ").next().unwrap(), "config.yaml:3:8");
        assert_eq!(
            first("title: x\nbase_url: https://e.com/\nlanguages:\n  - zh\n  - english\n"),
            "config.yaml:5:5: error: `english` is not a BCP 47 language code (e.g. `zh`, `zh-Hans`, `en-GB`)"
        );
        assert_eq!(
            first("title: x\nbase_url: https://e.com/\nlanguages: [zh, en]\ndefault_language: fr\n"),
            "config.yaml:4:19: error: default_language `fr` is not one of `languages` (zh, en); add it there"
        );
        assert_eq!(first("title: x\n"), "config.yaml: error: missing required key `base_url` (e.g. `base_url: https://example.com/letter/`)");
        assert_eq!(parse("title: 2024\nbase_url: https://e.com/\n").unwrap().title.get("en", "en"), "2024");
    }

    #[test]
    fn email_settings() {
        let c = parse(
            "title: x\nbase_url: https://e.com/\nemail:\n  from: \"AI范儿 <letter@e.com>\"\n  reply_to: editor@e.com\n  subject: {zh: \"{site} 第 {issue} 期：{title}\", en: \"{title}\"}\n  unsubscribe_url: \"{{ UnsubscribeURL }}\"\n  smtp: {host: smtp.e.com, username: u, password_env: SMTP_PASSWORD, tls: tls}\n",
        )
        .unwrap();
        assert_eq!(c.email.from.as_deref(), Some("AI范儿 <letter@e.com>"));
        assert_eq!(c.email.unsubscribe_url.as_deref(), Some("{{ UnsubscribeURL }}"));
        let smtp = c.email.smtp.unwrap();
        assert_eq!((smtp.tls, smtp.port()), (SmtpTls::Tls, 465));
        assert!(parse("title: x\nbase_url: https://e.com/\nemail: false\n").is_ok_and(|c| !c.email.enabled));
    }

    #[test]
    fn email_errors_point_at_the_value() {
        let errs = |text: &str| parse(text).unwrap_err().iter().map(|e| e.to_string().lines().next().unwrap().to_string()).collect::<Vec<_>>();
        assert_eq!(
            errs("title: x\nbase_url: https://e.com/\nemail:\n  from: not an address\n  subject: \"{titel}\"\n"),
            [
                "config.yaml:4:9: error: email.from `not an address` is not an email address; write `Name <name@example.com>` or `name@example.com`",
                "config.yaml:5:13: error: email.subject has an unknown placeholder `{titel}` (did you mean `title`?); it may use {title}, {issue}, {site} and {date}",
            ]
        );
        assert_eq!(
            errs("title: x\nbase_url: https://e.com/\nemail:\n  smtp: {host: h, tls: ssl}\n")[0].split(" error: ").nth(1).unwrap(),
            "`email` › `smtp` › `tls`: unknown variant `ssl`, expected one of `none`, `starttls`, `tls`"
        );
        assert!(errs("title: x\nbase_url: https://e.com/\nemail:\n  smtp: {host: h, pasword_env: X}\n")[0].contains("did you mean `password_env`"));
        assert!(
            errs("title: x\nbase_url: https://e.com/\nemail:\n  smtp: {host: h, password_env: \"hunter 2\"}\n")[0]
                .contains("not an environment variable name")
        );
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
