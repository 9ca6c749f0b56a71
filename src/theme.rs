//! Themes: the default theme is embedded in the binary; a site's own
//! `themes/NAME/` files override it file by file. A theme is Tera templates,
//! static assets and interface strings per language (`i18n/LANG.yaml`).

use crate::config::{Config, primary};
use crate::error::Error;
use crate::yaml;
use include_dir::{Dir, include_dir};
use std::collections::BTreeMap;
use std::path::PathBuf;

static DEFAULT_THEME: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/themes/default");

/// Interface strings every theme must provide for each language, because gen
/// itself uses them in rendered content.
pub const REQUIRED_STRINGS: &[&str] = &["comments", "comments_from", "note", "postscript", "references"];

/// A resolved theme: templates by name, static files by path, strings by language.
#[derive(Debug, Clone, Default)]
pub struct Theme {
    pub name: String,
    pub templates: BTreeMap<String, String>,
    pub statics: BTreeMap<String, Vec<u8>>,
    pub i18n: BTreeMap<String, BTreeMap<String, String>>,
}

/// The embedded default theme's files, path → bytes (for `gen init` and tests).
pub fn embedded_files() -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    collect(&DEFAULT_THEME, &mut files);
    files
}

fn collect(dir: &Dir<'_>, files: &mut BTreeMap<String, Vec<u8>>) {
    for f in dir.files() {
        files.insert(f.path().to_string_lossy().replace('\\', "/"), f.contents().to_vec());
    }
    for d in dir.dirs() {
        collect(d, files);
    }
}

impl Theme {
    /// Build the theme named in `config` from the embedded default and the
    /// site's `themes/` files (`site_files`: path inside `themes/` → bytes).
    pub fn load(config: &Config, site_files: &BTreeMap<String, Vec<u8>>) -> Result<Theme, Vec<Error>> {
        let name = &config.theme;
        let prefix = format!("{name}/");
        let own: BTreeMap<&str, &Vec<u8>> = site_files.iter().filter_map(|(p, b)| p.strip_prefix(&prefix).map(|rest| (rest, b))).collect();
        if name != "default" && own.is_empty() {
            let mut found: Vec<&str> = site_files.keys().filter_map(|p| p.split_once('/').map(|(t, _)| t)).collect();
            found.dedup();
            found.insert(0, "default");
            let hint = crate::error::did_you_mean(name, found.iter().copied());
            let hint = if hint.is_empty() { format!(" (themes available: {})", found.join(", ")) } else { hint };
            return Err(vec![config.error_at("theme", format!("theme `{name}` not found: there is no folder themes/{name}/{hint}"))]);
        }
        let mut files = embedded_files();
        for (p, b) in own {
            files.insert(p.to_string(), b.clone());
        }
        let mut theme = Theme { name: name.clone(), ..Default::default() };
        let mut errors = Vec::new();
        let theme_path = |rel: &str| PathBuf::from(format!("themes/{name}/{rel}"));
        for (path, bytes) in files {
            if let Some(t) = path.strip_prefix("templates/") {
                match String::from_utf8(bytes) {
                    Ok(text) => {
                        theme.templates.insert(t.to_string(), text);
                    }
                    Err(_) => errors.push(Error::file(theme_path(&path), "template is not UTF-8 text")),
                }
            } else if let Some(s) = path.strip_prefix("static/") {
                theme.statics.insert(s.to_string(), bytes);
            } else if let Some(l) = path.strip_prefix("i18n/").and_then(|f| f.strip_suffix(".yaml")) {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                match yaml::from_str::<BTreeMap<String, String>>(&text) {
                    Ok(map) => {
                        theme.i18n.insert(l.to_string(), map);
                    }
                    Err(e) => errors.push(Error::new(theme_path(&path), e.line, e.col, e.message).with_source(&text)),
                }
            }
        }
        errors.extend(template_cycles(name, &theme.templates));
        let used = used_strings(&theme.templates);
        for lang in &config.languages {
            if errors
                .iter()
                .any(|e| e.path == theme_path(&format!("i18n/{lang}.yaml")) || e.path == theme_path(&format!("i18n/{}.yaml", primary(lang))))
            {
                continue; // its file is broken, already reported
            }
            match theme.strings_for(lang) {
                None => errors.push(Error::file(
                    theme_path(&format!("i18n/{lang}.yaml")),
                    format!("no interface strings for language `{lang}`: add themes/{name}/i18n/{lang}.yaml"),
                )),
                Some(strings) => {
                    // Keys gen puts into post bodies, then keys the templates ask for, each named once.
                    let mut missing: Vec<(String, String)> = REQUIRED_STRINGS
                        .iter()
                        .filter(|k| !strings.contains_key(**k))
                        .map(|k| (format!("`{k}`"), " (used in post bodies)".to_string()))
                        .collect();
                    for (key, (template, line)) in &used {
                        if !strings.contains_key(key) && !REQUIRED_STRINGS.contains(&key.as_str()) {
                            missing.push((format!("`{key}`"), format!(" (used in templates/{template}:{line})")));
                        }
                    }
                    let file = theme_path(&format!("i18n/{}.yaml", theme.i18n_file(lang)));
                    match missing.len() {
                        0 => {}
                        1 => errors.push(Error::file(file, format!("missing i18n key {} for language `{lang}`{}", missing[0].0, missing[0].1))),
                        n => {
                            let list: Vec<String> = missing.iter().map(|(k, used)| format!("{k}{used}")).collect();
                            errors.push(Error::file(file, format!("{n} i18n keys are missing for language `{lang}`: {}", list.join(", "))))
                        }
                    }
                }
            }
        }
        if errors.is_empty() { Ok(theme) } else { Err(errors) }
    }

    /// The strings for `lang`: exact file, else the primary language's (`zh` for `zh-Hans`).
    pub fn strings_for(&self, lang: &str) -> Option<&BTreeMap<String, String>> {
        self.i18n.get(lang).or_else(|| self.i18n.get(primary(lang)))
    }

    fn i18n_file<'a>(&self, lang: &'a str) -> &'a str {
        if self.i18n.contains_key(lang) { lang } else { primary(lang) }
    }

    /// One interface string, or an error naming the key and language.
    pub fn string(&self, lang: &str, key: &str) -> Result<&str, String> {
        self.strings_for(lang)
            .and_then(|m| m.get(key))
            .map(String::as_str)
            .ok_or_else(|| format!("missing i18n key `{key}` for language `{lang}` (themes/{}/i18n/{}.yaml)", self.name, self.i18n_file(lang)))
    }
}

/// Every literal `trans(key="…")` in the templates, with where it is first used,
/// so that a missing string is reported before a page that needs it is rendered.
fn used_strings(templates: &BTreeMap<String, String>) -> BTreeMap<String, (String, usize)> {
    let mut used = BTreeMap::new();
    for (name, text) in templates {
        for (i, line) in text.lines().enumerate() {
            let mut rest = line;
            while let Some(start) = rest.find("trans(") {
                rest = &rest[start + "trans(".len()..];
                let args = rest.split(')').next().unwrap_or_default();
                let Some(k) = args.find("key") else { continue };
                let value = args[k + 3..].trim_start().strip_prefix('=').map(str::trim_start).unwrap_or_default();
                let Some(quote) = value.chars().next().filter(|c| matches!(c, '"' | '\'' | '`')) else { continue };
                if let Some(key) = value[1..].split(quote).next() {
                    used.entry(key.to_string()).or_insert_with(|| (name.clone(), i + 1));
                }
            }
        }
    }
    used
}

/// A tag naming another template: `{% include "x" %}`, `{% extends "x" %}`,
/// `{% import "x" as m %}`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TemplateRef {
    /// `includes`, `extends` or `imports`.
    verb: &'static str,
    /// The templates named, in order (`{% include ["a", "b"] %}` names two).
    targets: Vec<String>,
    /// Where the tag's `{%` is.
    line: usize,
    col: usize,
}

/// Every include, extends and import tag of a template, outside comments and
/// `{% raw %}` blocks.
fn template_refs(text: &str) -> Vec<TemplateRef> {
    let mut refs = Vec::new();
    let mut at = 0;
    while let Some(i) = text[at..].find(['{']).map(|i| at + i) {
        let rest = &text[i..];
        if let Some(comment) = rest.strip_prefix("{#") {
            at = comment.find("#}").map_or(text.len(), |j| i + 2 + j + 2);
            continue;
        }
        if !rest.starts_with("{%") {
            at = i + 1;
            continue;
        }
        // The closing `%}` after the opening one (`{%}` opens and does not close).
        let Some(end) = rest[2..].find("%}").map(|j| j + 2) else { break };
        let inner = rest[2..end].trim_start_matches('-').trim_end_matches('-').trim();
        at = i + end + 2;
        let (word, args) = inner.split_once(char::is_whitespace).unwrap_or((inner, ""));
        let verb = match word {
            "raw" => {
                // Nothing up to `{% endraw %}` is a tag.
                let close =
                    text[at..].match_indices("{%").find(|(j, _)| text[at + j + 2..].trim_start_matches('-').trim_start().starts_with("endraw"));
                at = close.map_or(text.len(), |(j, _)| at + j + 2);
                continue;
            }
            "include" => "includes",
            "extends" => "extends",
            "import" => "imports",
            _ => continue,
        };
        let targets = quoted_names(args.trim_start());
        if !targets.is_empty() {
            let (line, col) = crate::error::line_col(text, i);
            refs.push(TemplateRef { verb, targets, line, col });
        }
    }
    refs
}

/// The template names at the start of a tag's arguments: one quoted name, or
/// a `[…]` list of them. Tera quotes with `"`, `'` or `` ` ``.
fn quoted_names(args: &str) -> Vec<String> {
    let one = |s: &str| -> Option<(String, usize)> {
        let q = s.chars().next().filter(|c| matches!(c, '"' | '\'' | '`'))?;
        let close = s[1..].find(q)?;
        Some((s[1..1 + close].to_string(), close + 2))
    };
    if let Some(list) = args.strip_prefix('[') {
        let mut names = Vec::new();
        let mut rest = list.trim_start();
        while let Some((name, used)) = one(rest) {
            names.push(name);
            rest = rest[used..].trim_start().trim_start_matches(',').trim_start();
        }
        names
    } else {
        one(args).map(|(name, _)| vec![name]).unwrap_or_default()
    }
}

/// Templates that include, extend or import themselves, directly or through
/// others: Tera would recurse until the stack overflows. Each cycle is
/// reported once, at the tag in its first template by name.
pub fn template_cycles(theme: &str, templates: &BTreeMap<String, String>) -> Vec<Error> {
    // The edges of each template: (target, verb, line, col). A list names the first template that exists, as Tera renders.
    let edges: BTreeMap<&str, Vec<(&str, &'static str, usize, usize)>> = templates
        .iter()
        .map(|(name, text)| {
            let out = template_refs(text)
                .into_iter()
                .filter_map(|r| {
                    let target = r.targets.iter().find_map(|t| templates.get_key_value(t.as_str()).map(|(k, _)| k.as_str()))?;
                    Some((target, r.verb, r.line, r.col))
                })
                .collect();
            (name.as_str(), out)
        })
        .collect();
    let mut cycles: std::collections::BTreeSet<Vec<&str>> = std::collections::BTreeSet::new();
    let mut done: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    for &start in edges.keys() {
        // Depth first without recursion: a theme may chain thousands of templates.
        let mut path: Vec<&str> = vec![start];
        let mut next: Vec<usize> = vec![0];
        while let (Some(&node), Some(k)) = (path.last(), next.last_mut()) {
            let Some(&(target, ..)) = edges.get(node).and_then(|e| e.get(*k)) else {
                done.insert(node);
                path.pop();
                next.pop();
                continue;
            };
            *k += 1;
            if let Some(p) = path.iter().position(|n| *n == target) {
                let mut cycle = path[p..].to_vec();
                let first = cycle.iter().enumerate().min_by_key(|(_, n)| **n).map_or(0, |(i, _)| i);
                cycle.rotate_left(first);
                cycles.insert(cycle);
            } else if !done.contains(target) {
                path.push(target);
                next.push(0);
            }
        }
    }
    cycles
        .into_iter()
        .map(|cycle| {
            let step = |i: usize| {
                let (from, to) = (cycle[i], cycle[(i + 1) % cycle.len()]);
                edges[from].iter().find(|e| e.0 == to).copied().unwrap_or((to, "includes", 0, 0))
            };
            let verbs: std::collections::BTreeSet<&str> = (0..cycle.len()).map(|i| step(i).1).collect();
            let verb = if verbs.len() == 1 { step(0).1 } else { "refers to" };
            let chain: Vec<&str> = cycle.iter().copied().chain(std::iter::once(cycle[0])).collect();
            let (_, _, line, col) = step(0);
            let name = cycle[0];
            Error::new(format!("themes/{theme}/templates/{name}"), line, col, format!("template {verb} itself: {}", chain.join(" → ")))
                .with_source(&templates[name])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn config(extra: &str) -> Config {
        Config::parse(Path::new("config.yaml"), &format!("title: t\nbase_url: https://e.com/\nlanguages: [zh, en]\n{extra}")).unwrap()
    }

    #[test]
    fn embedded_theme_is_complete() {
        let t = Theme::load(&config(""), &BTreeMap::new()).unwrap();
        for name in ["base.html", "index.html", "post.html", "page.html", "tags.html", "tag.html", "archive.html", "404.html"] {
            assert!(t.templates.contains_key(name), "{name}");
        }
        assert_eq!(t.string("zh", "postscript").unwrap(), "后记");
        assert_eq!(t.string("zh-Hans", "postscript").unwrap(), "后记");
    }

    #[test]
    fn site_files_override() {
        let files = BTreeMap::from([("default/templates/page.html".to_string(), b"mine".to_vec())]);
        let t = Theme::load(&config(""), &files).unwrap();
        assert_eq!(t.templates["page.html"], "mine");
    }

    #[test]
    fn finds_include_extends_and_import_tags() {
        assert!(template_refs("{%}{#}{% include").is_empty());
        let text = "{% extends \"base.html\" %}\n{# {% include \"no.html\" %} #}{%- include ['a.html', \"b.html\"] ignore missing -%}\n{% raw %}{% include \"raw.html\" %}{% endraw %}{% import `m.html` as m %}{{ x }}{% include \"\" %}";
        let refs = template_refs(text);
        let got: Vec<(&str, Vec<String>, usize, usize)> = refs.into_iter().map(|r| (r.verb, r.targets, r.line, r.col)).collect();
        assert_eq!(
            got,
            [
                ("extends", vec!["base.html".to_string()], 1, 1),
                ("includes", vec!["a.html".to_string(), "b.html".to_string()], 2, 30),
                ("imports", vec!["m.html".to_string()], 3, 46),
                ("includes", vec![String::new()], 3, 79),
            ]
        );
    }

    #[test]
    fn templates_that_include_themselves() {
        let themes = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> { pairs.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect() };
        let msgs = |t: &BTreeMap<String, String>| -> Vec<String> {
            template_cycles("default", t).iter().map(|e| e.to_string().lines().next().unwrap().to_string()).collect()
        };
        let t = themes(&[("x.html", "a\n  {% include \"x.html\" %}"), ("ok.html", "{% include \"part.html\" %}"), ("part.html", "p")]);
        assert_eq!(msgs(&t), ["themes/default/templates/x.html:2:3: error: template includes itself: x.html → x.html"]);
        let t = themes(&[
            ("y.html", "{% include \"z.html\" %}"),
            ("z.html", "{% include \"x.html\" %}"),
            ("x.html", "{% if a %}{% include \"y.html\" %}{% endif %}"),
            ("b.html", "{% extends \"c.html\" %}"),
            ("c.html", "{% import \"b.html\" as b %}"),
        ]);
        assert_eq!(
            msgs(&t),
            [
                "themes/default/templates/b.html:1:1: error: template refers to itself: b.html → c.html → b.html",
                "themes/default/templates/x.html:1:11: error: template includes itself: x.html → y.html → z.html → x.html",
            ]
        );
        // The default theme has none, and a long chain is no cycle.
        assert!(template_cycles("default", &Theme::load(&config(""), &BTreeMap::new()).unwrap().templates).is_empty());
        let chain: BTreeMap<String, String> = (0..5000).map(|i| (format!("t{i}.html"), format!("{{% include \"t{}.html\" %}}", i + 1))).collect();
        assert!(template_cycles("default", &chain).is_empty());
    }

    #[test]
    fn missing_theme_and_strings() {
        let e = Theme::load(&config("theme: fancy\n"), &BTreeMap::new()).unwrap_err();
        assert!(e[0].message.contains("theme `fancy` not found"));
        let mut en = String::from_utf8(embedded_files()["i18n/en.yaml"].clone()).unwrap();
        en = en.lines().filter(|l| !l.starts_with("comments_from:")).map(|l| format!("{l}\n")).collect();
        let files = BTreeMap::from([("default/i18n/en.yaml".to_string(), en.clone().into_bytes())]);
        let e = Theme::load(&config(""), &files).unwrap_err();
        assert_eq!(e[0].to_string(), "themes/default/i18n/en.yaml: error: missing i18n key `comments_from` for language `en` (used in post bodies)");
        let full = String::from_utf8(embedded_files()["i18n/en.yaml"].clone()).unwrap();
        let older = full.lines().filter(|l| !l.starts_with("older:")).map(|l| format!("{l}\n")).collect::<String>();
        let files = BTreeMap::from([("default/i18n/en.yaml".to_string(), older.into_bytes())]);
        let e = Theme::load(&config(""), &files).unwrap_err();
        assert!(
            e[0].to_string()
                .starts_with("themes/default/i18n/en.yaml: error: missing i18n key `older` for language `en` (used in templates/macros.html:"),
            "{e:?}"
        );
        let files = BTreeMap::from([("default/i18n/en.yaml".to_string(), b"comments: C\n".to_vec())]);
        let e = Theme::load(&config(""), &files).unwrap_err();
        assert!(e[0].message.contains("i18n keys are missing for language `en`: `comments_from` (used in post bodies), `note`"), "{e:?}");
    }
}
