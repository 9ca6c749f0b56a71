//! A whole build, from sources in memory to the site model and its output:
//! config, theme, every post and comment file parsed (in parallel), the site
//! assembled and rendered. Pure: reading and writing happen in [`crate::disk`].

use crate::comments;
use crate::config::Config;
use crate::disk::Sources;
use crate::error::{self, Error};
use crate::output::Output;
use crate::post::Post;
use crate::render;
use crate::site::{self, CommentFile, Site};
use crate::theme::Theme;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

/// What the command line can change about a build.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Include posts marked `draft: true`.
    pub drafts: bool,
    /// Replace `base_url` (e.g. the local address while serving).
    pub base_url: Option<String>,
}

/// The result of a successful build.
pub struct Built {
    pub site: Site,
    pub output: Output,
}

/// Parse and check `config.yaml`, applying `options`.
pub fn config(sources: &Sources, options: &BuildOptions) -> Result<Config, Vec<Error>> {
    let Some(text) = &sources.config else {
        return Err(vec![Error::file("config.yaml", format!("not found in {}: run `gen init` to create a site", sources.root.display()))]);
    };
    let mut config = Config::parse(Path::new("config.yaml"), text)?;
    if let Some(url) = &options.base_url {
        config.set_base_url(url).map_err(|m| vec![Error::file("--base-url", m)])?;
    }
    Ok(config)
}

/// What builds keep from one to the next (the live preview): every content
/// file parsed, every body rendered, and the theme loaded. [`Cache::forget`]
/// a file when it changes; [`Cache::clear`] when config.yaml or the theme
/// changes.
#[derive(Debug, Default)]
pub struct Cache {
    theme: Option<Arc<Theme>>,
    posts: FxHashMap<String, Result<Arc<Post>, Vec<Error>>>,
    comments: FxHashMap<String, Result<Arc<CommentFile>, Vec<Error>>>,
    bodies: site::RenderCache,
}

impl Cache {
    /// Drop what was made from the file at `content_path` (inside `content/`).
    pub fn forget(&mut self, content_path: &str) {
        self.posts.remove(content_path);
        self.comments.remove(content_path);
    }

    /// Drop everything.
    pub fn clear(&mut self) {
        *self = Cache::default();
    }

    /// Keep `post` as the parse of its file (parsed with [`parse_post`]).
    pub fn set_post(&mut self, post: Arc<Post>) {
        self.posts.insert(post.content_path.clone(), Ok(post));
    }

    /// The rendered bodies.
    pub fn bodies(&mut self) -> &mut site::RenderCache {
        &mut self.bodies
    }
}

/// Parse the post or page at `path` (inside `content/`) from its bytes, as a build does.
pub fn parse_post(path: &str, bytes: &[u8], config: &Config) -> Result<Arc<Post>, Vec<Error>> {
    let text = utf8(&format!("content/{path}"), bytes)?;
    Post::parse(path, text, config).map(Arc::new)
}

/// The site assembled from its sources, ready to render.
pub struct Assembled {
    pub site: Site,
    pub theme: Arc<Theme>,
    /// Other files under `content/` (paths inside it), copied to the output as they are.
    pub assets: BTreeSet<String>,
}

/// Build the site in memory. Every problem found is returned, sorted by file and line.
pub fn build(sources: &Sources, options: &BuildOptions) -> Result<Built, Vec<Error>> {
    build_into(sources, options, Output::default())
}

/// [`build`], adding the files to `output` (one made with
/// [`Output::spilling`] hands them on as they come: `gen build` writes them
/// while the rest renders).
pub fn build_into(sources: &Sources, options: &BuildOptions, output: Output) -> Result<Built, Vec<Error>> {
    let (built, errors) = build_unchecked(sources, options, output)?;
    if errors.is_empty() { Ok(built) } else { Err(errors) }
}

/// [`build_into`], with the local references that name no file of the
/// built site returned beside it instead of failing the build (`gen check`
/// reports them with its own findings).
pub fn build_unchecked(sources: &Sources, options: &BuildOptions, output: Output) -> Result<(Built, Vec<Error>), Vec<Error>> {
    let Assembled { site, theme, assets } = assemble(sources, options, &mut Cache::default())?;
    let mut output = render::render_into(&site, &theme, output)?;
    add_assets(&mut output, sources, &assets)?;
    let errors = site.check_references(&output, &assets);
    Ok((Built { site, output }, error::sorted(errors)))
}

/// [`build_into`] for a one-shot build that owns its sources: what rendering
/// no longer needs once the site is assembled (the text of the Markdown and
/// comment files, the Markdown of each post) is dropped before the pages
/// render, so that memory does not hold every post twice. The posts of the
/// returned site have empty bodies.
pub fn build_owned(mut sources: Sources, options: &BuildOptions, output: Output) -> Result<Built, Vec<Error>> {
    let Assembled { mut site, theme, assets } = assemble(&sources, options, &mut Cache::default())?;
    sources.content.retain(|path, _| assets.contains(path));
    for e in &mut site.entries {
        // Bodies with references checked after rendering stay, for the excerpts of their errors.
        if !e.rendered.local_links.is_empty() || e.cover_verify.is_some() {
            continue;
        }
        if let Some(post) = Arc::get_mut(&mut e.post) {
            post.body = String::new();
        }
    }
    let mut output = render::render_into(&site, &theme, output)?;
    add_assets(&mut output, &sources, &assets)?;
    let errors = site.check_references(&output, &assets);
    if !errors.is_empty() {
        return Err(error::sorted(errors));
    }
    Ok(Built { site, output })
}

/// Copy the content assets into `output`; a path a generated page already has is an error.
pub fn add_assets(output: &mut Output, sources: &Sources, assets: &BTreeSet<String>) -> Result<(), Vec<Error>> {
    let mut errors = Vec::new();
    for path in assets {
        if !output.add(path.clone(), sources.content[path].clone()) {
            errors.push(Error::file(format!("content/{path}"), format!("this file and a generated page are both /{path}")));
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(error::sorted(errors)) }
}

/// Parse what `cache` does not hold and assemble the site: everything a build
/// does before rendering. Every problem found is returned, sorted.
pub fn assemble(sources: &Sources, options: &BuildOptions, cache: &mut Cache) -> Result<Assembled, Vec<Error>> {
    let config = config(sources, options)?;
    let theme = match &cache.theme {
        Some(t) => Ok(Arc::clone(t)),
        None => Theme::load(&config, &sources.themes).map(Arc::new),
    };
    let mut errors = Vec::new();

    let mut md_files = Vec::new();
    let mut comment_files = Vec::new();
    let mut assets = BTreeSet::new();
    for (path, bytes) in &sources.content {
        let in_sections = path.starts_with("posts/") || path.starts_with("pages/");
        if in_sections && path.ends_with(".md") {
            md_files.push((path, bytes));
        } else if path.starts_with("comments/") && (path.ends_with(".yaml") || path.ends_with(".yml")) {
            comment_files.push((path, bytes));
        } else if crate::output::Output::is_safe_path(path) {
            assets.insert(path.clone());
        }
    }
    let unparsed: Vec<&(&String, &Vec<u8>)> = md_files.iter().filter(|(path, _)| !cache.posts.contains_key(path.as_str())).collect();
    let parsed: Vec<Result<Arc<Post>, Vec<Error>>> = unparsed.par_iter().map(|(path, bytes)| parse_post(path, bytes, &config)).collect();
    for ((path, _), p) in unparsed.into_iter().zip(parsed) {
        cache.posts.insert(path.to_string(), p);
    }
    cache.posts.retain(|path, _| sources.content.contains_key(path));
    let mut posts = Vec::with_capacity(md_files.len());
    let mut broken = Vec::new();
    for (path, bytes) in &md_files {
        match &cache.posts[path.as_str()] {
            Ok(p) => posts.push(Arc::clone(p)),
            Err(e) => {
                errors.extend(e.iter().cloned());
                broken.push((path.as_str(), std::str::from_utf8(bytes).ok()));
            }
        }
    }
    let mut comments_parsed = Vec::new();
    for (path, bytes) in comment_files {
        let parsed = cache.comments.entry(path.clone()).or_insert_with(|| {
            let shown = Path::new("content").join(path);
            let parsed = utf8(&format!("content/{path}"), bytes).and_then(|text| comments::parse(&shown, text).map_err(|e| vec![e]));
            parsed.map(|comments| {
                let stem = path.trim_start_matches("comments/").trim_end_matches(".yaml").trim_end_matches(".yml");
                Arc::new(CommentFile { slug: stem.to_string(), path: shown, comments })
            })
        });
        match parsed {
            Ok(file) => comments_parsed.push(Arc::clone(file)),
            Err(e) => errors.extend(e.iter().cloned()),
        }
    }
    cache.comments.retain(|path, _| sources.content.contains_key(path));
    let theme = match theme {
        Ok(t) => {
            cache.theme = Some(Arc::clone(&t));
            t
        }
        Err(e) => {
            errors.extend(e);
            return Err(error::sorted(errors));
        }
    };
    if !errors.is_empty() {
        errors.extend(errors_beside_broken(config, posts, &comments_parsed, &assets, &theme, options.drafts, &broken, &mut cache.bodies));
        return Err(error::sorted(errors));
    }
    let options = site::Options { drafts: options.drafts };
    let site = Site::assemble_cached(config, posts, &comments_parsed, &assets, &theme, options, &mut cache.bodies).map_err(error::sorted)?;
    Ok(Assembled { site, theme, assets })
}

/// The problems of the rest of the site while some files could not be parsed,
/// so that one build reports them all: the fenced blocks of the broken files,
/// and the site assembled from the files that parsed, with the broken ones
/// standing in as valid targets of links, `related` slugs and comment files
/// (nothing is reported about them twice, or by mistake).
#[allow(clippy::too_many_arguments)]
fn errors_beside_broken(
    config: Config,
    mut posts: Vec<Arc<Post>>,
    comment_files: &[Arc<CommentFile>],
    assets: &BTreeSet<String>,
    theme: &Theme,
    drafts: bool,
    broken: &[(&str, Option<&str>)],
    cache: &mut site::RenderCache,
) -> Vec<Error> {
    let mut errors = Vec::new();
    let mut targets = assets.clone();
    let mut slugs = BTreeSet::new();
    for &(path, text) in broken {
        targets.insert(path.to_string());
        let stem = path.rsplit('/').next().unwrap_or(path).trim_end_matches(".md");
        let stem = stem.rsplit_once('.').filter(|(_, l)| crate::config::is_language_code(l)).map_or(stem, |(s, _)| s);
        slugs.insert(crate::slug::from_file_stem(stem));
        let Some(text) = text.map(crate::post::normalize) else { continue };
        let Ok(split) = crate::frontmatter::split(&text) else { continue };
        if let Some(line) = crate::yaml::key_line(split.yaml, "slug").and_then(|l| split.yaml.lines().nth(l - 1)) {
            let value = line.split_once(':').map_or("", |(_, v)| v.trim().trim_matches(['"', '\'']));
            slugs.insert(value.to_string());
            slugs.insert(crate::slug::slugify(value));
        }
        if let Err(fences) = crate::markdown::blocks::scan(split.body) {
            let shown = format!("content/{path}");
            for f in fences {
                errors.push(Error::new(&shown, f.line + split.body_line - 1, f.col, f.message).with_source(&text));
            }
        }
    }
    for p in &mut posts {
        if p.related.iter().any(|r| slugs.contains(r)) {
            Arc::make_mut(p).related.retain(|r| !slugs.contains(r));
        }
    }
    let comment_files: Vec<Arc<CommentFile>> = comment_files.iter().filter(|c| !slugs.contains(&c.slug)).cloned().collect();
    if let Err(e) = Site::assemble_cached(config, posts, &comment_files, &targets, theme, site::Options { drafts }, cache) {
        errors.extend(e);
    }
    errors
}

fn utf8<'a>(path: &str, bytes: &'a [u8]) -> Result<&'a str, Vec<Error>> {
    std::str::from_utf8(bytes).map_err(|_| vec![error::not_utf8(path, bytes)])
}
