//! Rendering the site model into an in-memory [`Output`]: Tera templates of the
//! theme for every page (posts, pages, paginated indexes, tags, archive, 404)
//! in every language, the theme's static files and the code stylesheets.
//! Pages are rendered in parallel; nothing here touches the disk.

pub(crate) mod email;
mod engine;
pub(crate) mod feeds;
pub(crate) mod functions;
pub mod html;
mod inline_css;
pub mod search;
pub(crate) mod sitemap;
pub(crate) mod views;

pub use email::{letters as email_letters, letters_by_css_inline as email_letters_by_css_inline};
pub use engine::Engine;

use crate::error::Error;
use crate::output::Output;
use crate::post::Kind;
use crate::site::Site;
use crate::theme::Theme;
use rayon::prelude::*;
use serde_json::{Value, json};
use views::Views;

/// One page to render: output path, template, and what it shows.
pub(crate) struct Job {
    pub path: String,
    pub template: String,
    /// The page's path in each language that has it, for hreflang and the switcher.
    pub alternates: Vec<(String, String)>,
    pub lang: String,
    pub vars: Vars,
    /// Source file, named in runtime errors.
    pub source: Option<std::path::PathBuf>,
}

/// What a page shows. Its context values are built on the render thread just
/// before the page is rendered and dropped right after, so a build never holds
/// every post's content or every list's cards at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Vars {
    NotFound,
    /// A post or page: the entry.
    Entry(usize),
    /// Page `n` (1-based) of a listing of the job's language.
    List(Listing, usize),
    /// The tag list of the job's language.
    Tags,
}

/// A paginated list of posts of one language: the index, a tag's page, the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Listing {
    Index,
    /// Tag `k` of the language (`site.tags[lang][k]`).
    Tag(usize),
    Archive,
}

impl Listing {
    /// The posts it lists, newest first.
    pub(crate) fn posts<'s>(self, site: &'s Site, lang: &str) -> &'s [usize] {
        match self {
            Listing::Index | Listing::Archive => lang_posts(site, lang),
            Listing::Tag(k) => site.tags.get(lang).and_then(|ts| ts.get(k)).map(|t| t.posts.as_slice()).unwrap_or_default(),
        }
    }

    /// Posts per page: `paginate`, or `paginate_archive` for the archive.
    pub(crate) fn per_page(self, site: &Site) -> usize {
        match self {
            Listing::Archive => site.config.paginate_archive.max(1),
            _ => site.config.paginate.max(1),
        }
    }

    /// Number of pages (one, empty, when it lists nothing).
    pub(crate) fn pages(self, site: &Site, lang: &str) -> usize {
        self.posts(site, lang).len().div_ceil(self.per_page(site)).max(1)
    }

    /// The posts on page `n` (1-based).
    pub(crate) fn page<'s>(self, site: &'s Site, lang: &str, n: usize) -> &'s [usize] {
        let posts = self.posts(site, lang);
        let per_page = self.per_page(site);
        &posts[((n - 1) * per_page).min(posts.len())..(n * per_page).min(posts.len())]
    }

    /// Its name for the live preview's records of reads.
    pub(crate) fn name(self, site: &Site, lang: &str) -> crate::reads::List {
        match self {
            Listing::Index => crate::reads::List::Index,
            Listing::Tag(k) => crate::reads::List::Tag(site.tags[lang][k].slug.clone()),
            Listing::Archive => crate::reads::List::Archive,
        }
    }

    /// Output folder of its first page, without the base path: `en/`, `tags/ai/`, `archive/`.
    pub(crate) fn folder(self, site: &Site, lang: &str) -> String {
        let prefix = site.config.lang_prefix(lang);
        match self {
            Listing::Index => prefix,
            Listing::Tag(k) => format!("{prefix}tags/{}/", site.tags[lang][k].slug),
            Listing::Archive => format!("{prefix}archive/"),
        }
    }

    /// Output folder of page `n`: the folder, then `page/N/`.
    pub(crate) fn page_folder(self, site: &Site, lang: &str, n: usize) -> String {
        let folder = self.folder(site, lang);
        if n == 1 { folder } else { format!("{folder}page/{n}/") }
    }
}

impl Job {
    /// The page's own context values.
    fn vars(&self, site: &Site, views: &Views<'_>) -> Vec<(&'static str, Value)> {
        let lang = self.lang.as_str();
        if let Vars::List(listing, n) = self.vars {
            crate::reads::record(|| crate::reads::Read::List { lang: lang.to_string(), list: listing.name(site, lang), n });
        }
        match self.vars {
            Vars::NotFound => vec![("page_kind", json!("404"))],
            Vars::Entry(i) => vec![
                ("page", views.full(i)),
                (
                    "page_kind",
                    json!(match site.entries[i].post.kind {
                        Kind::Post => "post",
                        Kind::Page => "page",
                    }),
                ),
            ],
            Vars::List(listing, n) => {
                let paginator = paginator(site, views, lang, listing, n);
                match listing {
                    Listing::Index => vec![("paginator", paginator), ("page_kind", json!("index"))],
                    Listing::Tag(k) => {
                        let mut tag = views.tag(lang, &site.tags[lang][k], false);
                        tag["posts"] = paginator["posts"].clone();
                        vec![("tag", tag), ("paginator", paginator), ("page_kind", json!("tag"))]
                    }
                    Listing::Archive => {
                        vec![
                            ("years", archive_years(site, views, listing.page(site, lang, n))),
                            ("paginator", paginator),
                            ("page_kind", json!("archive")),
                        ]
                    }
                }
            }
            Vars::Tags => {
                crate::reads::record(|| crate::reads::Read::Tags(lang.to_string()));
                let tags = site.tags.get(lang).map(Vec::as_slice).unwrap_or_default();
                vec![("tags", Value::Array(tags.iter().map(|t| views.tag(lang, t, false)).collect())), ("page_kind", json!("tags"))]
            }
        }
    }
}

/// Render every page and asset of `site` with `theme`.
pub fn render(site: &Site, theme: &Theme) -> Result<Output, Vec<Error>> {
    render_into(site, theme, Output::default())
}

/// Pages rendered between two hand-overs to the output: an output that writes
/// its files as they come ([`Output::spilling`]) then holds this many at most.
pub(crate) const CHUNK: usize = 1024;

/// [`render`], adding the files to `output`.
pub fn render_into(site: &Site, theme: &Theme, output: Output) -> Result<Output, Vec<Error>> {
    // The search index is built beside the templates' parsing (one thread)
    // and then the pages and letters, started first so that it has the
    // cores the parsing leaves idle. (A template error is reported once the
    // index's thread is done: the scope joins it.)
    std::thread::scope(|scope| {
        let index = site.config.search.then(|| scope.spawn(|| search::index_files(site)));
        let engine = Engine::new(theme, &site.config)?;
        let rendered = render_pages(site, theme, engine, output);
        let index = index.map(|i| i.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        let (mut output, errors) = rendered?;
        for (path, text) in index.into_iter().flatten() {
            output.add(path, text);
        }
        if errors.is_empty() { Ok(output) } else { Err(finish_errors(errors)) }
    })
}

/// Everything [`render_into`] adds but the search index; errors of templates
/// are returned beside the output.
fn render_pages(site: &Site, theme: &Theme, mut engine: Engine, mut output: Output) -> Result<(Output, Vec<Error>), Vec<Error>> {
    let views = Views::new(site, theme);
    engine.add_site_functions(functions::SiteQuery::new(site, views.cards()));
    let jobs = jobs(site, theme, &engine)?;
    let mut errors = Vec::new();
    for chunk in jobs.chunks(CHUNK) {
        let results: Vec<Result<String, Error>> = chunk.par_iter().map(|job| render_job(job, site, &views, &engine)).collect();
        for (r, job) in results.into_iter().zip(chunk) {
            match r {
                Ok(html) => {
                    if !output.add(job.path.clone(), html) {
                        errors.push(page_clash(job));
                    }
                }
                Err(e) => errors.push(e),
            }
        }
    }
    theme_files(site, theme, &mut output, &mut errors);
    feeds::render(site, theme, &mut output);
    if site.config.search {
        search::pages(site, &views, &engine, &mut output, &mut errors);
    }
    email::render(site, theme, &views, &engine, &mut output, &mut errors);
    sitemap::render(site, &mut output);
    Ok((output, errors))
}

/// Errors of a render as reported: sorted, repeats of one template error collapsed.
pub(crate) fn finish_errors(errors: Vec<Error>) -> Vec<Error> {
    engine::collapse_repeats(crate::error::sorted(errors))
}

/// A page whose path an earlier page (an index, tag or archive page) already has.
pub(crate) fn page_clash(job: &Job) -> Error {
    // Generated pages come first, so the clash is the content file's doing.
    let source = job.source.clone().unwrap_or_default();
    Error::file(
        source,
        format!(
            "its page /{} is already generated by gen (an index, tag or archive page); choose another slug",
            job.path.trim_end_matches("index.html")
        ),
    )
}

/// Render one page.
pub(crate) fn render_job(job: &Job, site: &Site, views: &Views<'_>, engine: &Engine) -> Result<String, Error> {
    let mut ctx = views.base_context(&job.lang, &job.path, &job.alternates);
    let vars: serde_json::Map<String, Value> = job.vars(site, views).into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    // Moved into the context, not copied.
    if let Ok(vars) = tera::Context::from_value(Value::Object(vars)) {
        ctx.extend(vars);
    }
    engine.render(&job.template, &ctx, job.source.as_deref())
}

/// The theme's static files and the code stylesheets.
pub(crate) fn theme_files(site: &Site, theme: &Theme, output: &mut Output, errors: &mut Vec<Error>) {
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
            let names = crate::markdown::highlight::theme_names();
            let hint = crate::error::did_you_mean(bad, names.iter().map(|n| n.as_ref()));
            let known = names.join(", ");
            errors.push(site.config.error_at_value(
                "highlight",
                bad,
                format!("highlight theme `{bad}` does not exist{hint}; syntect ships: {known}"),
            ));
        }
    }
}

/// Every page rendered with a template, in order: indexes, tags and archive
/// of each language, the 404 page of each language (`404.html`,
/// `en/404.html`), then every post and page. A post naming a
/// template the theme lacks is an error.
pub(crate) fn jobs(site: &Site, theme: &Theme, engine: &Engine) -> Result<Vec<Job>, Vec<Error>> {
    let mut jobs = Vec::new();
    for lang in &site.config.languages {
        page_jobs(site, lang, &mut jobs);
    }
    for lang in &site.config.languages {
        jobs.push(Job {
            path: format!("{}404.html", site.config.lang_prefix(lang)),
            template: "404.html".into(),
            alternates: Vec::new(),
            lang: lang.clone(),
            vars: Vars::NotFound,
            source: None,
        });
    }
    // Every post naming a template the theme lacks is reported, not just the first.
    let entry_jobs: Vec<Result<Job, Error>> = site
        .entries
        .par_iter()
        .enumerate()
        .map(|(i, e)| {
            let template =
                e.post.template.clone().map(|t| if t.ends_with(".html") { t } else { format!("{t}.html") }).unwrap_or_else(|| match e.post.kind {
                    Kind::Post => "post.html".into(),
                    Kind::Page => "page.html".into(),
                });
            if !engine.has_template(&template) {
                let known: Vec<&str> = theme.templates.keys().map(String::as_str).filter(|t| t.ends_with(".html")).collect();
                return Err(Error::new(
                    &e.post.path,
                    e.post.line_of("template"),
                    1,
                    format!("template `{template}` does not exist in theme `{}` (it has {})", theme.name, known.join(", ")),
                ));
            }
            let mut alternates = vec![(e.post.lang.clone(), e.path.clone())];
            alternates.extend(e.translations.iter().map(|&j| (site.entries[j].post.lang.clone(), site.entries[j].path.clone())));
            Ok(Job {
                path: format!("{}index.html", e.path),
                template,
                alternates,
                lang: e.post.lang.clone(),
                vars: Vars::Entry(i),
                source: Some(e.post.path.clone()),
            })
        })
        .collect();
    let mut missing_templates = Vec::new();
    for job in entry_jobs {
        match job {
            Ok(job) => jobs.push(job),
            Err(e) => missing_templates.push(e),
        }
    }
    if !missing_templates.is_empty() {
        return Err(crate::error::sorted(missing_templates));
    }
    Ok(jobs)
}

/// Index pages, tags and archive of one language.
fn page_jobs(site: &Site, lang: &str, jobs: &mut Vec<Job>) {
    let prefix = site.config.lang_prefix(lang);
    let all_langs = |sub: &str| -> Vec<(String, String)> {
        site.config.languages.iter().map(|l| (l.clone(), format!("{}{sub}", site.config.lang_prefix(l)))).collect()
    };
    let tags = site.tags.get(lang).map(Vec::as_slice).unwrap_or_default();
    let list_jobs = |listing: Listing, template: &str, first: Vec<(String, String)>, jobs: &mut Vec<Job>| {
        for n in 1..=listing.pages(site, lang) {
            let path = listing.page_folder(site, lang, n);
            jobs.push(Job {
                path: format!("{path}index.html"),
                template: template.into(),
                // Later pages list other posts in each language: they have no alternates.
                alternates: if n == 1 { first.clone() } else { vec![(lang.to_string(), path)] },
                lang: lang.to_string(),
                vars: Vars::List(listing, n),
                source: None,
            });
        }
    };
    list_jobs(Listing::Index, "index.html", all_langs(""), jobs);
    jobs.push(Job {
        path: format!("{prefix}tags/index.html"),
        template: "tags.html".into(),
        alternates: all_langs("tags/"),
        lang: lang.to_string(),
        vars: Vars::Tags,
        source: None,
    });
    for (k, t) in tags.iter().enumerate() {
        let alternates = site.tag_alternates(lang, &t.slug);
        list_jobs(Listing::Tag(k), "tag.html", alternates, jobs);
    }
    list_jobs(Listing::Archive, "archive.html", all_langs("archive/"), jobs);
}

/// The posts the lists of `lang` show, newest first.
fn lang_posts<'s>(site: &'s Site, lang: &str) -> &'s [usize] {
    site.listed_by_lang.get(lang).map(Vec::as_slice).unwrap_or_default()
}

/// The `paginator` of page `n` of a listing of `lang`.
fn paginator(site: &Site, views: &Views<'_>, lang: &str, listing: Listing, n: usize) -> Value {
    let total = listing.pages(site, lang);
    let url = |m: usize| {
        let folder = listing.page_folder(site, lang, m);
        format!("{}{}", site.config.base_path, folder.split('/').map(crate::slug::encode_segment).collect::<Vec<_>>().join("/"))
    };
    json!({
        "current": n,
        "total": total,
        "per_page": listing.per_page(site),
        "posts": listing.page(site, lang, n).iter().map(|&i| views.card(i)).collect::<Vec<_>>(),
        "first": url(1),
        "prev": if n > 1 { Some(url(n - 1)) } else { None },
        "next": if n < total { Some(url(n + 1)) } else { None },
        "pages": pager(n, total)
            .into_iter()
            .map(|m| match m {
                Some(m) => json!({"n": m, "url": url(m), "current": m == n, "gap": false}),
                None => json!({"gap": true}),
            })
            .collect::<Vec<_>>(),
    })
}

/// The page numbers an index page links to: all of them for up to
/// [`PAGER_ALL`] pages; beyond that the first, the last and [`PAGER_AROUND`]
/// either side of `current`, with `None` where numbers are left out. Listing
/// every page on every page would grow with the square of the posts (a
/// 10,000-post site has 1,000 index pages per language).
fn pager(current: usize, total: usize) -> Vec<Option<usize>> {
    if total <= PAGER_ALL {
        return (1..=total).map(Some).collect();
    }
    let lo = current.saturating_sub(PAGER_AROUND).max(1);
    let hi = (current + PAGER_AROUND).min(total);
    let mut shown: Vec<usize> = vec![1];
    shown.extend(lo..=hi);
    shown.push(total);
    shown.dedup();
    let mut out = Vec::with_capacity(shown.len() + 2);
    let mut prev = 0;
    for m in shown {
        // A gap of one page shows that page rather than an ellipsis.
        if m == prev + 2 {
            out.push(Some(prev + 1));
        } else if m > prev + 2 {
            out.push(None);
        }
        out.push(Some(m));
        prev = m;
    }
    out
}

/// Up to this many index pages, each links to all of them.
const PAGER_ALL: usize = 9;
/// Pages linked on either side of the current one beyond [`PAGER_ALL`].
const PAGER_AROUND: usize = 2;

/// The cards of `posts` (one page of the archive) grouped by year, newest first.
fn archive_years(site: &Site, views: &Views<'_>, posts: &[usize]) -> Value {
    let mut years: Vec<(i32, Vec<Value>)> = Vec::new();
    for &i in posts {
        let year = site.entries[i].post.date.map(|d| chrono::Datelike::year(&d)).unwrap_or(0);
        match years.last_mut() {
            Some((y, list)) if *y == year => list.push(views.card(i)),
            _ => years.push((year, vec![views.card(i)])),
        }
    }
    Value::Array(years.into_iter().map(|(y, posts)| json!({"year": y, "posts": posts})).collect())
}

#[cfg(test)]
mod tests {
    use super::pager;

    #[test]
    fn pager_is_short_and_shows_first_last_and_neighbours() {
        assert_eq!(pager(2, 3), [Some(1), Some(2), Some(3)]);
        assert_eq!(pager(1, 9).len(), 9);
        assert_eq!(pager(1, 1000), [Some(1), Some(2), Some(3), None, Some(1000)]);
        assert_eq!(pager(500, 1000), [Some(1), None, Some(498), Some(499), Some(500), Some(501), Some(502), None, Some(1000)]);
        assert_eq!(pager(4, 1000), [Some(1), Some(2), Some(3), Some(4), Some(5), Some(6), None, Some(1000)]);
        assert_eq!(pager(997, 1000), [Some(1), None, Some(995), Some(996), Some(997), Some(998), Some(999), Some(1000)]);
        for n in 1..=40 {
            assert!(pager(n, 40).len() <= 2 * super::PAGER_AROUND + 5);
            assert!(pager(n, 40).contains(&Some(n)));
        }
    }
}
