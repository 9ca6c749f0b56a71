//! The Tera engine of a build: the theme's templates compiled once, gen's
//! functions and filters (`trans`, `date`), and template errors turned into
//! located messages naming the template and line.

use crate::config::Config;
use crate::error::Error;
use crate::theme::Theme;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use tera::{Context, Tera, Value};

/// Compiled templates of one theme.
pub struct Engine {
    tera: Tera,
    theme_name: String,
    /// Template texts, to find the line a runtime error comes from.
    templates: BTreeMap<String, String>,
}

impl Engine {
    pub fn new(theme: &Theme, config: &Config) -> Result<Engine, Vec<Error>> {
        let mut tera = Tera::default();
        let mut errors = Vec::new();
        // Parse each template alone first, so every broken one is reported.
        for (name, text) in &theme.templates {
            if let Err(e) = tera::Template::new(name, None, text) {
                errors.push(template_error(&theme.name, name, &e, Some(text)));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        if let Err(e) = tera.add_raw_templates(theme.templates.iter().map(|(n, t)| (n.as_str(), t.as_str()))) {
            return Err(vec![Error::file(format!("themes/{}/templates", theme.name), chain(&e))]);
        }
        tera.autoescape_on(vec![".html", ".htm", ".xml"]);
        tera.set_escape_fn(escape);
        tera.register_function("trans", Trans { strings: theme.i18n.clone(), theme: theme.name.clone(), default: config.default_language.clone() });
        tera.register_filter("date", date_filter);
        tera.register_filter("url_host", url_host);
        Ok(Engine { tera, theme_name: theme.name.clone(), templates: theme.templates.clone() })
    }

    /// Give templates `get_posts()` and `get_post()` over this site.
    pub fn add_site_functions(&mut self, query: std::sync::Arc<super::functions::SiteQuery>) {
        self.tera.register_function("get_posts", super::functions::GetPosts(query.clone()));
        self.tera.register_function("get_post", super::functions::GetPost(query));
    }

    pub fn has_template(&self, name: &str) -> bool {
        self.tera.get_template_names().any(|n| n == name)
    }

    /// Render `template`; `source` is the content file the page comes from.
    pub fn render(&self, template: &str, ctx: &Context, source: Option<&Path>) -> Result<String, Error> {
        self.tera.render(template, ctx).map_err(|e| {
            let mut err = self.runtime_error(template, &e);
            if let Some(src) = source {
                err.message.push_str(&format!(" (while rendering {})", crate::error::display_path(src)));
            }
            err
        })
    }
}

impl Engine {
    /// A rendering error in author words, at the template line that names the
    /// culprit: Tera says which template it was rendering but not where.
    fn runtime_error(&self, template: &str, e: &tera::Error) -> Error {
        let raw = chain(e);
        let mut msg = raw.strip_prefix(&format!("Failed to render '{template}': ")).unwrap_or(&raw).to_string();
        if let Some(i) = msg.rfind(" while rendering '") {
            if msg[i..].ends_with('\'') {
                msg.truncate(i);
            }
        }
        if let Some((name, tail)) = msg.strip_prefix("Variable `").and_then(|r| r.split_once("` not found in context")) {
            msg = format!("variable `{name}` is not defined{tail}");
        }
        for kind in ["Filter", "Function", "Test", "Template"] {
            if let Some(name) = msg.strip_prefix(&format!("{kind} '")).and_then(|r| r.strip_suffix("' not found")) {
                msg = format!("{} `{name}` does not exist", kind.to_lowercase());
            }
        }
        let culprit = msg.split('`').nth(1).filter(|n| !n.is_empty());
        let order = std::iter::once(template).chain(self.templates.keys().map(String::as_str).filter(|t| *t != template));
        for name in order {
            let Some(text) = self.templates.get(name) else { continue };
            if let Some((line, col)) = culprit.and_then(|c| find_token(text, c)) {
                return Error::new(format!("themes/{}/templates/{name}", self.theme_name), line, col, msg).with_source(text);
            }
        }
        Error::file(format!("themes/{}/templates/{template}", self.theme_name), msg)
    }
}

/// One template error reported for many pages is shown once, naming the first
/// page and how many others, so that a typo in base.html is one line, not thousands.
pub fn collapse_repeats(errors: Vec<Error>) -> Vec<Error> {
    const WHILE: &str = " (while rendering ";
    let mut groups: BTreeMap<(std::path::PathBuf, usize, usize, String), (Error, usize)> = BTreeMap::new();
    let mut out = Vec::new();
    for e in crate::error::sorted(errors) {
        let Some(i) = e.message.rfind(WHILE).filter(|_| e.message.ends_with(')')) else {
            out.push(e);
            continue;
        };
        let key = (e.path.clone(), e.line, e.col, e.message[..i].to_string());
        groups.entry(key).or_insert_with(|| (e, 0)).1 += 1;
    }
    for ((_, _, _, base), (mut first, n)) in groups {
        if n > 1 {
            let page = &first.message[base.len() + WHILE.len()..first.message.len() - 1];
            let others = if n == 2 { "1 other page".to_string() } else { format!("{} other pages", n - 1) };
            first.message = format!("{base}{WHILE}{page} and {others})");
        }
        out.push(first);
    }
    crate::error::sorted(out)
}

/// Line and column of the first `token` in `text` not inside a longer name.
fn find_token(text: &str, token: &str) -> Option<(usize, usize)> {
    let is_name = |c: char| c.is_alphanumeric() || c == '_' || c == '.';
    let mut from = 0;
    while let Some(i) = text[from..].find(token) {
        let start = from + i;
        let end = start + token.len();
        let before = text[..start].chars().next_back();
        let after = text[end..].chars().next();
        if !before.is_some_and(is_name) && !after.is_some_and(is_name) {
            return Some(crate::error::line_col(text, start));
        }
        from = end;
    }
    None
}

/// HTML escaping of template values: `& < > " '` (not `/`, which needs none).
fn escape(text: &str) -> String {
    crate::escape::html(text)
}

/// The whole chain of a Tera error in one sentence.
fn chain(e: &tera::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        parts.push(s.to_string());
        src = s.source();
    }
    parts.join(": ")
}

/// A template error at its line when Tera says where (`--> 3:12`).
fn template_error(theme: &str, template: &str, e: &tera::Error, text: Option<&str>) -> Error {
    let message = chain(e);
    let (mut line, mut col) = (0, 0);
    if let Some(pos) = message.find("--> ") {
        let rest = &message[pos + 4..];
        let loc: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == ':').collect();
        if let Some((l, c)) = loc.split_once(':') {
            line = l.parse().unwrap_or(0);
            col = c.parse().unwrap_or(0);
        }
    }
    // Tera's parse errors carry their own excerpt; keep only the expectation.
    let expectation = message.lines().rev().find_map(|l| l.trim_start().strip_prefix("= "));
    let summary = match expectation {
        Some(e) if line > 0 => format!("template syntax error: {}", e.trim()),
        _ => message.replace('\n', " "),
    };
    let err = Error::new(format!("themes/{theme}/templates/{template}"), line, col, summary);
    match text {
        Some(t) => err.with_source(t),
        None => err,
    }
}

/// `trans(key="postscript", lang=lang)`: an interface string of the theme.
struct Trans {
    strings: BTreeMap<String, BTreeMap<String, String>>,
    theme: String,
    default: String,
}

impl tera::Function for Trans {
    fn call(&self, args: &HashMap<String, Value>) -> tera::Result<Value> {
        let key = args.get("key").and_then(Value::as_str).ok_or("trans() needs `key`")?;
        let lang = args.get("lang").and_then(Value::as_str).unwrap_or(&self.default);
        let map = self.strings.get(lang).or_else(|| self.strings.get(crate::config::primary(lang)));
        match map.and_then(|m| m.get(key)) {
            Some(s) => Ok(Value::String(s.clone())),
            None => Err(format!("missing i18n key `{key}` for language `{lang}` (themes/{}/i18n/{lang}.yaml)", self.theme).into()),
        }
    }

    fn is_safe(&self) -> bool {
        false
    }
}

/// `{{ page.date | date(format="%Y-%m-%d") }}` on an RFC 3339 date.
fn date_filter(value: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
    let Some(s) = value.as_str() else { return Ok(Value::Null) };
    let format = args.get("format").and_then(Value::as_str).unwrap_or("%Y-%m-%d");
    let d = chrono::DateTime::parse_from_rfc3339(s).map_err(|e| tera::Error::msg(format!("date filter: `{s}` is not an RFC 3339 date: {e}")))?;
    let mut out = String::new();
    use std::fmt::Write;
    write!(out, "{}", d.format(format)).map_err(|_| tera::Error::msg(format!("date filter: bad format `{format}`")))?;
    Ok(Value::String(out))
}

/// `{{ url | url_host }}`: `https://mp.weixin.qq.com/s?…` → `mp.weixin.qq.com`.
fn url_host(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let s = value.as_str().unwrap_or_default();
    let rest = s.split_once("://").map_or(s, |(_, r)| r);
    Ok(Value::String(rest.split(['/', '?', '#']).next().unwrap_or(rest).to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn theme_with(name: &str, text: &str) -> Theme {
        let mut t = Theme { name: "default".into(), ..Default::default() };
        t.templates.insert(name.into(), text.into());
        t
    }

    fn config() -> Config {
        Config::parse(Path::new("config.yaml"), "title: t\nbase_url: https://e.com/\n").unwrap()
    }

    #[test]
    fn syntax_errors_name_template_and_line() {
        let e = Engine::new(&theme_with("post.html", "<p>\n{{ page.title \n</p>"), &config()).err().unwrap();
        let first = e[0].to_string();
        assert!(first.starts_with("themes/default/templates/post.html:3:"), "{first}");
    }

    #[test]
    fn runtime_errors_name_template() {
        let engine = Engine::new(&theme_with("x.html", "{{ nope.title }}"), &config()).ok().unwrap();
        let e = engine.render("x.html", &Context::new(), Some(Path::new("content/posts/a.md"))).unwrap_err();
        assert!(e.to_string().starts_with("themes/default/templates/x.html:1:4: error: variable `nope.title` is not defined"), "{e}");
        assert!(e.to_string().contains("nope.title") && e.to_string().contains("content/posts/a.md"), "{e}");
    }

    #[test]
    fn repeated_errors_are_collapsed() {
        let e = |src: &str| Error::new("themes/default/templates/base.html", 3, 7, format!("variable `x` is not defined (while rendering {src})"));
        let out =
            collapse_repeats(vec![e("content/posts/b.md"), e("content/posts/a.md"), e("content/posts/c.md"), Error::file("config.yaml", "other")]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].message, "variable `x` is not defined (while rendering content/posts/a.md and 2 other pages)");
    }

    #[test]
    fn date_filter_formats() {
        let v = date_filter(
            &Value::String("2023-06-08T06:14:00+08:00".into()),
            &HashMap::from([("format".to_string(), Value::String("%Y年%m月%d日 %H:%M".into()))]),
        )
        .unwrap();
        assert_eq!(v, Value::String("2023年06月08日 06:14".into()));
    }
}
