//! Rendering the site model into an in-memory [`Output`]: Tera templates of the
//! theme for every page (posts, pages, paginated indexes, tags, archive, 404)
//! in every language, the theme's static files and the code stylesheets.
//! Pages are rendered in parallel; nothing here touches the disk.

mod engine;
mod functions;
mod views;

pub use engine::Engine;

use crate::error::Error;
use crate::output::Output;
use crate::post::Kind;
use crate::site::Site;
use crate::theme::Theme;
use rayon::prelude::*;
use serde_json::{Value, json};
use views::Views;

/// One page to render: output path, template, and its own context values.
struct Job {
    path: String,
    template: String,
    /// The page's path in each language that has it, for hreflang and the switcher.
    alternates: Vec<(String, String)>,
    lang: String,
    vars: Vec<(&'static str, Value)>,
    /// Source file, named in runtime errors.
    source: Option<std::path::PathBuf>,
}

/// Render every page and asset of `site` with `theme`.
pub fn render(site: &Site, theme: &Theme) -> Result<Output, Vec<Error>> {
    let mut engine = Engine::new(theme, &site.config)?;
    let views = Views::new(site, theme);
    engine.add_site_functions(functions::SiteQuery::new(site, views.cards()));
    let mut jobs = Vec::new();
    for lang in &site.config.languages {
        page_jobs(site, &views, lang, &mut jobs);
    }
    jobs.push(Job {
        path: "404.html".into(),
        template: "404.html".into(),
        alternates: Vec::new(),
        lang: site.config.default_language.clone(),
        vars: vec![("page_kind", json!("404"))],
        source: None,
    });
    for (i, e) in site.entries.iter().enumerate() {
        let template =
            e.post.template.clone().map(|t| if t.ends_with(".html") { t } else { format!("{t}.html") }).unwrap_or_else(|| match e.post.kind {
                Kind::Post => "post.html".into(),
                Kind::Page => "page.html".into(),
            });
        if !engine.has_template(&template) {
            return Err(vec![Error::new(
                &e.post.path,
                e.post.line_of("template"),
                1,
                format!("template `{template}` does not exist in theme `{}`", theme.name),
            )]);
        }
        let mut alternates = vec![(e.post.lang.clone(), e.path.clone())];
        alternates.extend(e.translations.iter().map(|&j| (site.entries[j].post.lang.clone(), site.entries[j].path.clone())));
        jobs.push(Job {
            path: format!("{}index.html", e.path),
            template,
            alternates,
            lang: e.post.lang.clone(),
            vars: vec![
                ("page", views.full(i)),
                (
                    "page_kind",
                    json!(match e.post.kind {
                        Kind::Post => "post",
                        Kind::Page => "page",
                    }),
                ),
            ],
            source: Some(e.post.path.clone()),
        });
    }

    let results: Vec<Result<(String, String), Error>> = jobs
        .par_iter()
        .map(|job| {
            let mut ctx = views.base_context(&job.lang, &job.path, &job.alternates);
            for (k, v) in &job.vars {
                ctx.insert(*k, v);
            }
            engine.render(&job.template, &ctx, job.source.as_deref()).map(|html| (job.path.clone(), html))
        })
        .collect();

    let mut output = Output::default();
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok((path, html)) => {
                output.add(path, html);
            }
            Err(e) => errors.push(e),
        }
    }
    for (path, bytes) in &theme.statics {
        output.add(path.clone(), bytes.clone());
    }
    match (crate::markdown::highlight::theme_css(&site.config.highlight.light), crate::markdown::highlight::theme_css(&site.config.highlight.dark)) {
        (Some(light), Some(dark)) => {
            output.add("highlight-light.css", light);
            output.add("highlight-dark.css", dark);
        }
        (light, _) => {
            let bad = if light.is_none() { &site.config.highlight.light } else { &site.config.highlight.dark };
            let known = crate::markdown::highlight::theme_names().join(", ");
            errors.push(Error::file("config.yaml", format!("highlight theme `{bad}` does not exist; syntect ships: {known}")));
        }
    }
    if errors.is_empty() { Ok(output) } else { Err(crate::error::sorted(errors)) }
}

/// Index pages, tags and archive of one language.
fn page_jobs(site: &Site, views: &Views, lang: &str, jobs: &mut Vec<Job>) {
    let prefix = site.config.lang_prefix(lang);
    let all_langs = |sub: &str| -> Vec<(String, String)> {
        site.config.languages.iter().map(|l| (l.clone(), format!("{}{sub}", site.config.lang_prefix(l)))).collect()
    };
    let posts = site.posts_by_lang.get(lang).map(Vec::as_slice).unwrap_or_default();
    let per_page = site.config.paginate.max(1);
    let chunks: Vec<&[usize]> = if posts.is_empty() { vec![&[]] } else { posts.chunks(per_page).collect() };
    let total = chunks.len();
    let page_path = |n: usize| if n == 1 { prefix.clone() } else { format!("{prefix}page/{n}/") };
    for (k, chunk) in chunks.iter().enumerate() {
        let n = k + 1;
        let path = page_path(n);
        let url = |p: String| format!("{}{p}", site.config.base_path);
        let paginator = json!({
            "current": n,
            "total": total,
            "posts": chunk.iter().map(|&i| views.card(i)).collect::<Vec<_>>(),
            "prev": if n > 1 { Some(url(page_path(n - 1))) } else { None },
            "next": if n < total { Some(url(page_path(n + 1))) } else { None },
            "pages": (1..=total).map(|m| json!({"n": m, "url": url(page_path(m)), "current": m == n})).collect::<Vec<_>>(),
        });
        jobs.push(Job {
            path: format!("{path}index.html"),
            template: "index.html".into(),
            alternates: if n == 1 { all_langs("") } else { vec![(lang.to_string(), path.clone())] },
            lang: lang.to_string(),
            vars: vec![("paginator", paginator), ("page_kind", json!("index"))],
            source: None,
        });
    }

    let tags = site.tags.get(lang).map(Vec::as_slice).unwrap_or_default();
    let tag_list: Vec<Value> = tags.iter().map(|t| views.tag(lang, t, false)).collect();
    jobs.push(Job {
        path: format!("{prefix}tags/index.html"),
        template: "tags.html".into(),
        alternates: all_langs("tags/"),
        lang: lang.to_string(),
        vars: vec![("tags", Value::Array(tag_list)), ("page_kind", json!("tags"))],
        source: None,
    });
    for t in tags {
        let alternates = site
            .config
            .languages
            .iter()
            .filter(|l| site.tags.get(*l).is_some_and(|ts| ts.iter().any(|x| x.slug == t.slug)))
            .map(|l| (l.clone(), format!("{}tags/{}/", site.config.lang_prefix(l), t.slug)))
            .collect();
        jobs.push(Job {
            path: format!("{prefix}tags/{}/index.html", t.slug),
            template: "tag.html".into(),
            alternates,
            lang: lang.to_string(),
            vars: vec![("tag", views.tag(lang, t, true)), ("page_kind", json!("tag"))],
            source: None,
        });
    }

    let mut years: Vec<(i32, Vec<Value>)> = Vec::new();
    for &i in posts {
        let year = site.entries[i].post.date.map(|d| chrono::Datelike::year(&d)).unwrap_or(0);
        match years.last_mut() {
            Some((y, list)) if *y == year => list.push(views.card(i)),
            _ => years.push((year, vec![views.card(i)])),
        }
    }
    let years: Vec<Value> = years.into_iter().map(|(y, posts)| json!({"year": y, "posts": posts})).collect();
    jobs.push(Job {
        path: format!("{prefix}archive/index.html"),
        template: "archive.html".into(),
        alternates: all_langs("archive/"),
        lang: lang.to_string(),
        vars: vec![("years", Value::Array(years)), ("page_kind", json!("archive"))],
        source: None,
    });
}
