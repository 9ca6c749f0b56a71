//! The CSS inliner of the email edition. Mail clients drop `<style>`, so every
//! element of a letter carries its declarations in a `style` attribute.
//!
//! The theme's stylesheet is parsed once per build ([`Stylesheet::parse`]);
//! each element then gets the declarations of the rules that match it, in
//! cascade order (`!important` first, then specificity, then source order),
//! merged with the `style` it already has (which wins unless the stylesheet's
//! declaration is `!important`). At-rules (`@media`, `@font-face`) cannot be
//! inlined and stay in a `<style>` element for the clients that read it.
//!
//! Matching works on the element and its ancestors, so it needs no document
//! tree and no recursion. Selectors are compounds of type, `*`, `.class`,
//! `#id` and `[attr]` / `[attr OP value]`, joined by descendant or child (`>`)
//! combinators. A stylesheet using anything else (pseudo-classes, sibling
//! combinators, nesting, `var()`, escapes) is not parsed here: `parse` returns
//! `None` and the email edition hands that letter to css-inline instead.

use super::html::Attr;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::HashMap;
use std::sync::Arc;

/// A parsed stylesheet: its rules, indexed by the key of their rightmost compound.
#[derive(Debug, Default)]
pub struct Stylesheet {
    rules: Vec<Rule>,
    blocks: Vec<Vec<Declaration>>,
    /// The at-rules, verbatim, to keep in a `<style>` element.
    pub at_rules: String,
    by_id: HashMap<String, Vec<usize>>,
    by_class: HashMap<String, Vec<usize>>,
    by_type: HashMap<String, Vec<usize>>,
    universal: Vec<usize>,
    /// The attributes attribute selectors test (besides `id` and `class`).
    attr_names: Vec<String>,
    /// Every id and class a selector names: the others make no difference to matching.
    ids: FxHashSet<String>,
    classes: FxHashSet<String>,
}

/// One selector of a rule; a selector list makes one rule per selector.
#[derive(Debug)]
struct Rule {
    selector: Selector,
    specificity: (u32, u32, u32),
    /// Index of the rule's declarations in `Stylesheet::blocks`.
    block: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Declaration {
    name: String,
    value: String,
    important: bool,
}

/// Compounds left to right; `combinators[i]` joins `compounds[i]` and `compounds[i + 1]`.
#[derive(Debug, Default)]
struct Selector {
    compounds: Vec<Compound>,
    combinators: Vec<Combinator>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Combinator {
    Descendant,
    Child,
}

#[derive(Debug, Default)]
struct Compound {
    tag: Option<String>,
    ids: Vec<String>,
    classes: Vec<String>,
    attrs: Vec<AttrSelector>,
}

#[derive(Debug)]
struct AttrSelector {
    name: String,
    test: Option<(AttrOp, String)>,
}

#[derive(Debug, Clone, Copy)]
enum AttrOp {
    Equals,
    Includes,
    DashMatch,
    Prefix,
    Suffix,
    Substring,
}

/// An element as matching sees it: its name (lowercase) and attributes.
#[derive(Debug, Clone)]
pub struct Element<'a> {
    pub name: &'a str,
    pub attrs: &'a [Attr<'a>],
}

impl<'a> Element<'a> {
    pub fn new(name: &'a str, attrs: &'a [Attr<'a>]) -> Self {
        Element { name, attrs }
    }

    fn attr(&self, name: &str) -> Option<&'a str> {
        self.attrs.iter().find(|a| a.name == name).map(|a| &*a.value)
    }

    fn classes(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.attr("class").unwrap_or_default().split_ascii_whitespace()
    }
}

impl Stylesheet {
    /// Parse `css`, or `None` when it uses what this inliner does not match.
    pub fn parse(css: &str) -> Option<Stylesheet> {
        let css = strip_comments(css);
        let mut sheet = Stylesheet::default();
        let mut rest = css.as_str();
        loop {
            rest = rest.trim_start();
            // The HTML comment markers old stylesheets are wrapped in.
            if let Some(r) = rest.strip_prefix("<!--").or_else(|| rest.strip_prefix("-->")) {
                rest = r;
                continue;
            }
            if rest.is_empty() {
                break;
            }
            if rest.starts_with('@') {
                let end = at_rule_end(rest);
                if !sheet.at_rules.is_empty() {
                    sheet.at_rules.push('\n');
                }
                sheet.at_rules.push_str(rest[..end].trim());
                rest = &rest[end..];
                continue;
            }
            let open = find_outside_strings(rest, b'{')?;
            let body_start = open + 1;
            let close = body_start + find_outside_strings(&rest[body_start..], b'}')?;
            let (selectors, body) = (&rest[..open], &rest[body_start..close]);
            if find_outside_strings(body, b'{').is_some() {
                return None;
            }
            let declarations = parse_declarations(body)?;
            let block = sheet.blocks.len();
            sheet.blocks.push(declarations);
            for text in split_outside(selectors, ',') {
                let selector = parse_selector(text.trim())?;
                for c in &selector.compounds {
                    for a in &c.attrs {
                        if !sheet.attr_names.contains(&a.name) {
                            sheet.attr_names.push(a.name.clone());
                        }
                    }
                    sheet.ids.extend(c.ids.iter().cloned());
                    sheet.classes.extend(c.classes.iter().cloned());
                }
                let index = sheet.rules.len();
                match selector.compounds.last() {
                    Some(c) if !c.ids.is_empty() => sheet.by_id.entry(c.ids[0].clone()).or_default().push(index),
                    Some(c) if !c.classes.is_empty() => sheet.by_class.entry(c.classes[0].clone()).or_default().push(index),
                    Some(Compound { tag: Some(t), .. }) => sheet.by_type.entry(t.clone()).or_default().push(index),
                    _ => sheet.universal.push(index),
                }
                sheet.rules.push(Rule { specificity: selector.specificity(), selector, block });
            }
            rest = &rest[close + 1..];
        }
        Some(sheet)
    }

    /// The declarations of the rules matching the last element of `path`, in cascade order.
    fn declarations(&self, path: &[Element<'_>]) -> Vec<Declaration> {
        let Some(element) = path.last() else { return Vec::new() };
        let mut candidates: Vec<usize> = Vec::new();
        if let Some(id) = element.attr("id") {
            candidates.extend(self.by_id.get(id).into_iter().flatten());
        }
        for class in element.classes() {
            candidates.extend(self.by_class.get(class).into_iter().flatten());
        }
        candidates.extend(self.by_type.get(element.name).into_iter().flatten());
        candidates.extend(&self.universal);
        candidates.sort_unstable();
        candidates.dedup();
        candidates.retain(|&r| matches(&self.rules[r].selector, path));
        candidates.sort_by_key(|&r| (self.rules[r].specificity, r));
        let mut out: Vec<Declaration> = Vec::new();
        for &r in &candidates {
            for d in &self.blocks[self.rules[r].block] {
                cascade(&mut out, d);
            }
        }
        out
    }
}

/// Add `d` to the declarations `out`: it replaces an earlier one of the same
/// property unless that one is `!important` and `d` is not.
fn cascade(out: &mut Vec<Declaration>, d: &Declaration) {
    match out.iter_mut().find(|o| o.name == d.name) {
        Some(o) if o.important && !d.important => {}
        Some(o) => *o = d.clone(),
        None => out.push(d.clone()),
    }
}

/// The `style` attribute for an element the stylesheet gives `matched`,
/// whose own `style` is `existing` (it wins over all but `!important`).
fn merge(matched: &[Declaration], existing: Option<&str>) -> Option<String> {
    if matched.is_empty() {
        return None;
    }
    let mut out = matched.to_vec();
    for d in existing.and_then(parse_declarations).unwrap_or_default() {
        cascade(&mut out, &d);
    }
    let mut style = String::new();
    for d in &out {
        style.push_str(&d.name);
        style.push_str(": ");
        style.push_str(&d.value);
        if d.important {
            style.push_str(" !important");
        }
        style.push(';');
    }
    Some(style)
}

/// What matching found for the elements of one stylesheet, kept for a whole
/// build: the letters of a build share their frame and the shapes of their
/// bodies, so after the first letters nearly every element is found here
/// instead of being matched again. An element is known by its signature
/// with its ancestors (what selectors can see of them: names, the ids and
/// classes the stylesheet names, the attributes it tests), interned as a node
/// of a tree: the node of a parent and the key of a child give the child's node.
#[derive(Default)]
pub struct StyleCache {
    /// An element's own key (see [`StyleCache::key`]) → its number.
    keys: FxHashMap<Vec<u8>, u32>,
    /// A start tag as written → the number of its key: the same tag gives
    /// the same key, found without taking the tag apart (a letter's code
    /// spans and paragraphs repeat a few tags). At most [`MAX_TAGS`].
    tags: FxHashMap<Box<str>, u32>,
    /// (node of the parent, key of the element) → node of the element; node 0 is the document.
    nodes: FxHashMap<(u32, u32), u32>,
    /// What node `n` is given, at `matched[n - 1]`.
    matched: Vec<Arc<Matched>>,
    /// The key being built.
    buf: Vec<u8>,
}

/// The nodes a cache keeps before it starts again, so that a build whose
/// letters share nothing (an id on every element that a rule names) stays small.
const MAX_NODES: usize = 1 << 18;

/// The start tags a cache keeps as written (those of links and images are
/// mostly one of a kind: past this many, new ones are no longer kept).
const MAX_TAGS: usize = 1 << 16;

/// What the stylesheet gives an element: its declarations, and the `style`
/// attribute's value for an element that has none of its own.
struct Matched {
    declarations: Vec<Declaration>,
    attribute: Option<Arc<str>>,
}

impl StyleCache {
    /// The key of `element` as `sheet`'s selectors see it, in `self.buf`.
    fn key(&mut self, sheet: &Stylesheet, element: &Element<'_>) {
        let buf = &mut self.buf;
        buf.clear();
        // Each field after its length; an absent one as the length `u32::MAX`.
        let mut field = |s: Option<&str>| match s {
            Some(s) => {
                buf.extend_from_slice(&(s.len() as u32).to_le_bytes());
                buf.extend_from_slice(s.as_bytes());
            }
            None => buf.extend_from_slice(&u32::MAX.to_le_bytes()),
        };
        field(Some(element.name));
        field(element.attr("id").filter(|id| sheet.ids.contains(*id)));
        let mut classes: Vec<&str> = element.classes().filter(|c| sheet.classes.contains(*c)).collect();
        classes.sort_unstable();
        classes.dedup();
        for c in classes {
            field(Some(c));
        }
        field(None);
        for name in &sheet.attr_names {
            field(element.attr(name));
        }
    }
}

/// Styles the elements of one document in order, keeping their ancestors
/// (each with its node of the [`StyleCache`]).
pub struct Styler<'s, 'a> {
    sheet: &'s Stylesheet,
    cache: &'s mut StyleCache,
    path: Vec<Element<'a>>,
    /// `nodes[d]`: the cache's node of `path[..=d]`.
    nodes: Vec<u32>,
}

impl<'s, 'a> Styler<'s, 'a> {
    pub fn new(sheet: &'s Stylesheet, cache: &'s mut StyleCache) -> Self {
        if cache.matched.len() > MAX_NODES {
            *cache = StyleCache::default();
        }
        Styler { sheet, cache, path: Vec::new(), nodes: Vec::new() }
    }

    /// Enter an element: the value of its `style` attribute (escaped for
    /// double quotes, see [`attribute_value`]) given the one it has
    /// (`existing`), or `None` when no rule matches it (its `style`, if
    /// any, stays as written). Void and self-closing elements are left with
    /// [`Styler::leave_last`].
    #[cfg(test)]
    pub fn enter(&mut self, element: Element<'a>, existing: Option<&str>) -> Option<Arc<str>> {
        let key = self.key(&element);
        self.enter_keyed(key, element, existing)
    }

    /// [`Styler::enter`] for the element whose start tag is written `tag`
    /// in the document: the same tag as before is not taken apart again.
    pub fn enter_tag(&mut self, tag: &str, element: Element<'a>, existing: Option<&str>) -> Option<Arc<str>> {
        let key = match self.cache.tags.get(tag) {
            Some(&k) => k,
            None => {
                let k = self.key(&element);
                if self.cache.tags.len() < MAX_TAGS {
                    self.cache.tags.insert(tag.into(), k);
                }
                k
            }
        };
        self.enter_keyed(key, element, existing)
    }

    /// The number of the key of `element`.
    fn key(&mut self, element: &Element<'_>) -> u32 {
        self.cache.key(self.sheet, element);
        match self.cache.keys.get(self.cache.buf.as_slice()) {
            Some(&k) => k,
            None => {
                let k = self.cache.keys.len() as u32;
                self.cache.keys.insert(self.cache.buf.clone(), k);
                k
            }
        }
    }

    fn enter_keyed(&mut self, key: u32, element: Element<'a>, existing: Option<&str>) -> Option<Arc<str>> {
        let parent = self.nodes.last().copied().unwrap_or(0);
        self.path.push(element);
        let node = match self.cache.nodes.get(&(parent, key)) {
            Some(&n) => n,
            None => {
                let declarations = self.sheet.declarations(&self.path);
                let attribute = merge(&declarations, None).map(|s| Arc::from(attribute_value(&s)));
                self.cache.matched.push(Arc::new(Matched { declarations, attribute }));
                let n = self.cache.matched.len() as u32;
                self.cache.nodes.insert((parent, key), n);
                n
            }
        };
        self.nodes.push(node);
        let matched = &self.cache.matched[node as usize - 1];
        match existing {
            None => matched.attribute.clone(),
            Some(existing) => merge(&matched.declarations, Some(existing)).map(|s| Arc::from(attribute_value(&s))),
        }
    }

    /// Leave the element entered last (a void or self-closing one).
    pub fn leave_last(&mut self) {
        self.path.pop();
        self.nodes.pop();
    }

    /// Leave the innermost open element named `name` and those inside it.
    pub fn leave(&mut self, name: &str) {
        if let Some(at) = self.path.iter().rposition(|e| e.name == name) {
            self.path.truncate(at);
            self.nodes.truncate(at);
        }
    }
}

/// A `style` attribute's value as written between double quotes: its double
/// quotes (of font names) become single ones unless it holds single quotes
/// already, and what is left is escaped.
fn attribute_value(style: &str) -> String {
    if style.contains('\'') { super::html::escape_attr(style) } else { super::html::escape_attr(&style.replace('"', "'")) }
}

impl Selector {
    fn specificity(&self) -> (u32, u32, u32) {
        let mut s = (0, 0, 0);
        for c in &self.compounds {
            s.0 += c.ids.len() as u32;
            s.1 += (c.classes.len() + c.attrs.len()) as u32;
            s.2 += u32::from(c.tag.is_some());
        }
        s
    }
}

impl Compound {
    fn matches(&self, e: &Element<'_>) -> bool {
        self.tag.as_deref().is_none_or(|t| t == e.name)
            && self.ids.iter().all(|id| e.attr("id") == Some(id.as_str()))
            && self.classes.iter().all(|c| e.classes().any(|x| x == c))
            && self.attrs.iter().all(|a| a.matches(e))
    }
}

impl AttrSelector {
    fn matches(&self, e: &Element<'_>) -> bool {
        let Some(value) = e.attr(&self.name) else { return false };
        let Some((op, want)) = &self.test else { return true };
        match op {
            AttrOp::Equals => value == want,
            AttrOp::Includes => value.split_ascii_whitespace().any(|w| w == want),
            AttrOp::DashMatch => value == want || value.strip_prefix(want.as_str()).is_some_and(|r| r.starts_with('-')),
            AttrOp::Prefix => !want.is_empty() && value.starts_with(want.as_str()),
            AttrOp::Suffix => !want.is_empty() && value.ends_with(want.as_str()),
            AttrOp::Substring => !want.is_empty() && value.contains(want.as_str()),
        }
    }
}

/// How a match attempt failed, so that callers stop searching when no other
/// ancestor can help (the pruning of browser engines: linear, not exponential).
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Matched,
    /// This element does not match; an ancestor further up still may.
    TryAncestor,
    /// A descendant combinator found no ancestor: nothing further up can match.
    NotAtAll,
}

/// Whether `selector` matches the last element of `path`.
fn matches(selector: &Selector, path: &[Element<'_>]) -> bool {
    let (Some(last), Some(at)) = (selector.compounds.len().checked_sub(1), path.len().checked_sub(1)) else { return false };
    match_at(selector, last, path, at) == Outcome::Matched
}

fn match_at(selector: &Selector, k: usize, path: &[Element<'_>], at: usize) -> Outcome {
    if !selector.compounds[k].matches(&path[at]) {
        return Outcome::TryAncestor;
    }
    if k == 0 {
        return Outcome::Matched;
    }
    match selector.combinators[k - 1] {
        Combinator::Child => match at.checked_sub(1) {
            Some(parent) => match match_at(selector, k - 1, path, parent) {
                Outcome::NotAtAll => Outcome::NotAtAll,
                Outcome::Matched => Outcome::Matched,
                Outcome::TryAncestor => Outcome::TryAncestor,
            },
            None => Outcome::NotAtAll,
        },
        Combinator::Descendant => {
            for ancestor in (0..at).rev() {
                match match_at(selector, k - 1, path, ancestor) {
                    Outcome::TryAncestor => {}
                    done => return done,
                }
            }
            Outcome::NotAtAll
        }
    }
}

/// `css` without its `/* comments */` (strings kept as written).
fn strip_comments(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    loop {
        let Some(i) = find_outside_strings_or(rest, |r| r.starts_with("/*")) else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..i]);
        out.push(' ');
        rest = rest[i + 2..].find("*/").map_or("", |j| &rest[i + 2 + j + 2..]);
    }
}

/// The characters of `s` outside quoted strings (the quotes excluded), with their offsets.
fn outside_strings(s: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    s.char_indices().filter(move |&(_, c)| {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            return false;
        }
        if c == '"' || c == '\'' {
            quote = Some(c);
            return false;
        }
        true
    })
}

/// The first offset outside quoted strings where `test` holds for the rest.
fn find_outside_strings_or(s: &str, test: impl Fn(&str) -> bool) -> Option<usize> {
    outside_strings(s).map(|(i, _)| i).find(|&i| test(&s[i..]))
}

fn find_outside_strings(s: &str, byte: u8) -> Option<usize> {
    find_outside_strings_or(s, |r| r.as_bytes()[0] == byte)
}

/// The end of the at-rule that starts `s`: after its `;` or its `{…}` block.
fn at_rule_end(s: &str) -> usize {
    let Some(i) = find_outside_strings_or(s, |r| r.starts_with(';') || r.starts_with('{')) else { return s.len() };
    if s.as_bytes()[i] == b';' {
        return i + 1;
    }
    let mut depth = 0usize;
    let mut pos = i;
    while let Some(j) = find_outside_strings_or(&s[pos..], |r| r.starts_with('{') || r.starts_with('}')) {
        pos += j;
        if s.as_bytes()[pos] == b'{' {
            depth += 1;
        } else {
            depth -= 1;
            if depth == 0 {
                return pos + 1;
            }
        }
        pos += 1;
    }
    s.len()
}

/// `s` split at `sep` outside strings, parentheses and brackets.
fn split_outside(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in outside_strings(s) {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            _ if c == sep && depth == 0 => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

/// The declarations of a block (or a `style` attribute); `None` when one uses `var()`.
fn parse_declarations(body: &str) -> Option<Vec<Declaration>> {
    let mut out: Vec<Declaration> = Vec::new();
    for part in split_outside(body, ';') {
        let Some((name, value)) = part.split_once(':') else { continue };
        let name = name.trim().to_ascii_lowercase();
        let mut value = value.trim();
        let mut important = false;
        if let Some(bang) = value.rfind('!') {
            if value[bang + 1..].trim().eq_ignore_ascii_case("important") {
                important = true;
                value = value[..bang].trim_end();
            }
        }
        if name.is_empty() || value.is_empty() {
            continue;
        }
        if value.to_ascii_lowercase().contains("var(") {
            return None;
        }
        let d = Declaration { name, value: value.to_string(), important };
        // Within one block the later declaration wins, `!important` first.
        match out.iter_mut().find(|o| o.name == d.name) {
            Some(o) if o.important && !d.important => {}
            Some(o) => *o = d,
            None => out.push(d),
        }
    }
    Some(out)
}

/// One selector (no commas), or `None` outside the supported grammar.
fn parse_selector(text: &str) -> Option<Selector> {
    let mut selector = Selector::default();
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut pending: Option<Combinator> = None;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_whitespace() {
            if !selector.compounds.is_empty() && pending.is_none() {
                pending = Some(Combinator::Descendant);
            }
            i += 1;
            continue;
        }
        if b == b'>' {
            if selector.compounds.is_empty() || pending == Some(Combinator::Child) {
                return None;
            }
            pending = Some(Combinator::Child);
            i += 1;
            continue;
        }
        let (compound, next) = parse_compound(text, i)?;
        if !selector.compounds.is_empty() {
            selector.combinators.push(pending.take()?);
        }
        selector.compounds.push(compound);
        pending = None;
        i = next;
    }
    if selector.compounds.is_empty() || pending.is_some() {
        return None;
    }
    Some(selector)
}

/// A compound selector at `i`: returns it and the offset after it.
fn parse_compound(text: &str, mut i: usize) -> Option<(Compound, usize)> {
    let bytes = text.as_bytes();
    let mut c = Compound::default();
    let start = i;
    if bytes[i] == b'*' {
        i += 1;
    } else if is_name_start(bytes[i]) {
        let end = name_end(bytes, i);
        c.tag = Some(text[i..end].to_ascii_lowercase());
        i = end;
    }
    while i < bytes.len() {
        match bytes[i] {
            b'.' | b'#' => {
                let end = name_end(bytes, i + 1);
                if end == i + 1 {
                    return None;
                }
                let name = text[i + 1..end].to_string();
                if bytes[i] == b'.' {
                    c.classes.push(name)
                } else {
                    c.ids.push(name)
                }
                i = end;
            }
            b'[' => {
                let close = i + 1 + find_outside_strings(&text[i + 1..], b']')?;
                c.attrs.push(parse_attr_selector(&text[i + 1..close])?);
                i = close + 1;
            }
            b if b.is_ascii_whitespace() || b == b'>' => break,
            // Pseudo-classes, pseudo-elements, sibling combinators, escapes.
            _ => return None,
        }
    }
    (i > start).then_some((c, i))
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b'-' || b >= 0x80
}

fn name_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'-' || bytes[i] >= 0x80) {
        i += 1;
    }
    i
}

/// The inside of `[…]`: `name`, or `name OP value` with `value` quoted or not.
fn parse_attr_selector(inner: &str) -> Option<AttrSelector> {
    let inner = inner.trim();
    let Some(eq) = inner.find('=') else {
        let name = inner.to_ascii_lowercase();
        return (!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
            .then_some(AttrSelector { name, test: None });
    };
    let (op, name_end) = match inner.as_bytes().get(eq.wrapping_sub(1)) {
        Some(b'~') => (AttrOp::Includes, eq - 1),
        Some(b'|') => (AttrOp::DashMatch, eq - 1),
        Some(b'^') => (AttrOp::Prefix, eq - 1),
        Some(b'$') => (AttrOp::Suffix, eq - 1),
        Some(b'*') => (AttrOp::Substring, eq - 1),
        _ => (AttrOp::Equals, eq),
    };
    let name = inner[..name_end].trim().to_ascii_lowercase();
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return None;
    }
    let raw = inner[eq + 1..].trim();
    let value = match raw.as_bytes().first() {
        Some(&q @ (b'"' | b'\'')) => {
            let v = raw.strip_prefix(q as char)?.strip_suffix(q as char)?;
            if v.contains('\\') {
                return None;
            }
            v.to_string()
        }
        // Flags such as ` i` and unquoted escapes are not supported.
        _ if raw.contains(|c: char| c.is_whitespace() || c == '\\') => return None,
        _ => raw.to_string(),
    };
    Some(AttrSelector { name, test: Some((op, value)) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::html::{Token, tokenize};

    /// Each element of `html` with the style `sheet` gives it through `cache`
    /// (`None`: no style), in document order.
    fn walk(sheet: &Stylesheet, cache: &mut StyleCache, html: &str) -> Vec<(String, Option<String>)> {
        let tokens = tokenize(html);
        let mut styler = Styler::new(sheet, cache);
        let mut out = Vec::new();
        for t in &tokens {
            match t {
                Token::Start { name, attrs, self_closing, .. } => {
                    let existing = attrs.iter().find(|a| a.name == "style").map(|a| &*a.value);
                    out.push((name.to_string(), styler.enter(Element::new(name, attrs), existing).map(|s| s.to_string())));
                    if *self_closing || name == "br" || name == "img" {
                        styler.leave_last();
                    }
                }
                Token::End { name, .. } => styler.leave(name),
                _ => {}
            }
        }
        out
    }

    /// The style of every element of `html` with one, in document order.
    fn styles(css: &str, html: &str) -> Vec<(String, String)> {
        let sheet = Stylesheet::parse(css).expect("supported stylesheet");
        let mut cache = StyleCache::default();
        let found = walk(&sheet, &mut cache, html);
        found.into_iter().filter_map(|(name, s)| Some((name, crate::render::html::decode(&s?).into_owned()))).collect()
    }

    /// The styles of each of `docs` with one cache for all, in document order.
    fn styles_sharing(css: &str, docs: &[&str]) -> Vec<Vec<Option<String>>> {
        let sheet = Stylesheet::parse(css).expect("supported stylesheet");
        let mut cache = StyleCache::default();
        docs.iter().map(|html| walk(&sheet, &mut cache, html).into_iter().map(|(_, s)| s).collect()).collect()
    }

    #[test]
    fn a_cache_shared_by_documents_gives_each_what_a_fresh_one_does() {
        let css = "p { margin: 0 } .a p { color: red } #x { top: 0 } [lang=en] > p { font-style: italic } div.b.a { border: 0 }";
        let docs = [
            "<div class=\"a\"><p>1</p></div><div class=\"a b\" id=\"y\"><p>2</p></div><p style=\"color: blue\">3</p>",
            "<div id=\"x\" class=\"c a\"><p>1</p></div><div class=\"b a a\"><p>2</p></div><p>3</p>",
            "<div lang=\"en\"><p>1</p></div><div lang=\"\"><p>2</p></div><div lang=\"en\" class=\"a\"><p style=\"top: 1px\">3</p></div>",
            "<div class=\"a\"><p>1</p></div><section><div class=\"a\"><p>2</p></div></section><p>3</p>",
        ];
        let shared = styles_sharing(css, &docs);
        for (k, doc) in docs.iter().enumerate() {
            assert_eq!(shared[k], styles_sharing(css, &[doc])[0], "{doc}");
        }
        assert_eq!(shared[2], styles_sharing(css, &[docs[2]])[0]);
        assert_eq!(shared[0][1].as_deref(), Some("margin: 0;color: red;"));
        assert_eq!(shared[1][0].as_deref(), Some("top: 0;"));
        assert_eq!(shared[1][2].as_deref(), Some("border: 0;"));
        assert_eq!(shared[2][1].as_deref(), Some("margin: 0;font-style: italic;"));
        assert_eq!(shared[2][3].as_deref(), Some("margin: 0;"), "an empty lang is not `en`");
    }

    fn pair(a: &str, b: &str) -> (String, String) {
        (a.to_string(), b.to_string())
    }

    #[test]
    fn type_class_and_id_selectors_apply() {
        let css = "p { margin: 0; } .lead { color: red } #x { font-weight: bold }";
        assert_eq!(
            styles(css, "<p>a</p><p class=\"lead\">b</p><div id=\"x\">c</div>"),
            vec![pair("p", "margin: 0;"), pair("p", "margin: 0;color: red;"), pair("div", "font-weight: bold;")]
        );
    }

    #[test]
    fn cascade_orders_by_specificity_then_source_then_importance() {
        // `.a` is more specific than `p` even though it comes first.
        let css = ".a { color: red } p { color: blue; margin: 1px } p { margin: 2px } p { padding: 0 !important } .a { padding: 9px }";
        assert_eq!(styles(css, "<p class=\"a\">x</p>"), vec![pair("p", "color: red;margin: 2px;padding: 0 !important;")]);
    }

    #[test]
    fn own_style_wins_unless_important() {
        let css = "p { color: red; margin: 0 !important }";
        assert_eq!(
            styles(css, "<p style=\"color: green; margin: 5px; border: 0\">x</p>"),
            vec![pair("p", "color: green;margin: 0 !important;border: 0;")]
        );
        // Elements no rule matches keep their style as written.
        assert_eq!(styles(css, "<div style=\"top:0\">x</div>"), vec![]);
    }

    #[test]
    fn descendant_and_child_combinators_look_at_ancestors() {
        let css = "blockquote p { margin: 0 } .pair > .original { color: gray } div.note>span{ font-weight: bold }";
        let got = styles(
            css,
            "<blockquote><div><p>a</p></div></blockquote><p>b</p><div class=\"pair\"><div class=\"original\">o</div>\
             <div><div class=\"original\">no</div></div></div><div class=\"note x\"><span>s</span></div>",
        );
        assert_eq!(got, vec![pair("p", "margin: 0;"), pair("div", "color: gray;"), pair("span", "font-weight: bold;")]);
    }

    #[test]
    fn attribute_selectors_compare_values() {
        let css = "[hidden] { display: none } a[href^=\"https:\"] { color: green } td[align=center] { text-align: center } \
                   [lang|=zh] { font-size: 15px } [class~=b] { top: 0 } [href$=\".pdf\"] { x: 1 } [href*=ex] { y: 2 }";
        let got = styles(
            css,
            "<div hidden>h</div><a href=\"https://ex.org/a.pdf\">l</a><a href=\"/x\">m</a><td align=\"center\">c</td>\
             <p lang=\"zh-CN\">z</p><p lang=\"zhx\">n</p><i class=\"a b\">i</i>",
        );
        assert_eq!(
            got,
            vec![
                pair("div", "display: none;"),
                // `a[href^=…]` is more specific than the other two.
                pair("a", "x: 1;y: 2;color: green;"),
                pair("td", "text-align: center;"),
                pair("p", "font-size: 15px;"),
                pair("i", "top: 0;"),
            ]
        );
    }

    #[test]
    fn at_rules_and_comments_are_kept_apart() {
        let sheet = Stylesheet::parse(
            "/* theme */ @charset \"utf-8\"; p { color: red } /* a { } */\n@media (max-width: 480px) { h1 { font-size: 21px !important; } }",
        )
        .expect("supported");
        assert_eq!(sheet.at_rules, "@charset \"utf-8\";\n@media (max-width: 480px) { h1 { font-size: 21px !important; } }");
        assert_eq!(sheet.rules.len(), 1);
    }

    #[test]
    fn strings_may_hold_braces_and_semicolons() {
        let css = "p { font-family: \"A;B}\", serif; quotes: '{' '}' }";
        assert_eq!(styles(css, "<p>x</p>"), vec![pair("p", "font-family: \"A;B}\", serif;quotes: '{' '}';")]);
    }

    #[test]
    fn stylesheets_beyond_the_grammar_are_refused() {
        for css in [
            "a:hover { color: red }",
            "p::first-line { x: 1 }",
            "h1 + p { margin: 0 }",
            "h1 ~ p { margin: 0 }",
            ".a { color: var(--c) }",
            ".a { .b { color: red } }",
            ".a\\:b { color: red }",
            "[data-x=\"a\" i] { x: 1 }",
            "p > > a { x: 1 }",
            "> a { x: 1 }",
            "p > { x: 1 }",
            ". { x: 1 }",
            "p { x: 1",
        ] {
            assert!(Stylesheet::parse(css).is_none(), "{css}");
        }
    }

    #[test]
    fn deep_descendant_selectors_fail_fast() {
        // 2,000 nested divs and a selector that cannot match: must not explode.
        let css = "section div div div p { color: red }";
        let html = format!("{}<p>x</p>{}", "<div>".repeat(2000), "</div>".repeat(2000));
        assert_eq!(styles(css, &html), Vec::<(String, String)>::new());
        let css = "div div div p { color: red }";
        assert_eq!(styles(css, &html), vec![pair("p", "color: red;")]);
    }
}
