//! The fenced newsletter blocks (`::: bilingual {source=en}` … `:::`), found
//! line by line outside code fences. Each fence line is replaced by a one-line
//! HTML comment marker so that the whole post still goes through one Markdown
//! pass (footnotes and link references stay shared) and line numbers stay put.

use std::collections::BTreeMap;

/// The newsletter sections gen knows, with the attributes each accepts.
pub const KINDS: &[(&str, &[&str])] = &[
    ("bilingual", &["source", "target"]),
    ("comments", &["source", "url", "title"]),
    ("comment", &["author", "title", "date", "url", "lang"]),
    ("note", &["title", "author"]),
    ("postscript", &["title"]),
];

/// One opened block: its kind, attributes and 1-based line in the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub name: String,
    pub attrs: BTreeMap<String, String>,
    pub id: Option<String>,
    pub classes: Vec<String>,
    pub line: usize,
    /// 1-based line of its closing fence (0 until it is found).
    pub close_line: usize,
}

/// A problem with a fence; `line` and `col` are 1-based within the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FenceError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

/// The body with fence lines replaced by markers, and the blocks they open.
#[derive(Debug, Clone, Default)]
pub struct Scanned {
    pub markdown: String,
    pub blocks: Vec<Block>,
    /// How markers start: `<!--gen0:`, with the first number the body does not
    /// contain, so no text of the author's (or a reader's) can pass for a marker.
    pub prefix: String,
}

impl Scanned {
    /// Marker text for the opening line of block `n`.
    pub fn open_marker(&self, n: usize) -> String {
        format!("{}open:{n}-->", self.prefix)
    }

    /// Marker text for the closing line of block `n`.
    pub fn close_marker(&self, n: usize) -> String {
        format!("{}close:{n}-->", self.prefix)
    }

    /// Parse a marker line back: `(true, n)` for an opening, `(false, n)` for a closing.
    pub fn parse_marker(&self, html: &str) -> Option<(bool, usize)> {
        parse_marker(&self.prefix, html)
    }
}

fn parse_marker(prefix: &str, html: &str) -> Option<(bool, usize)> {
    if prefix.is_empty() {
        return None;
    }
    let inner = html.trim_end().strip_prefix(prefix)?.strip_suffix("-->")?;
    let (kind, n) = inner.split_once(':')?;
    let n = n.parse().ok()?;
    match kind {
        "open" => Some((true, n)),
        "close" => Some((false, n)),
        _ => None,
    }
}

/// Find every fence in `body` and check that blocks are known, well formed and balanced.
pub fn scan(body: &str) -> Result<Scanned, Vec<FenceError>> {
    let prefix = (0..).map(|k| format!("<!--gen{k}:")).find(|p| !body.contains(p.as_str())).unwrap_or_default();
    let open_marker = |n: usize| format!("{prefix}open:{n}-->");
    let close_marker = |n: usize| format!("{prefix}close:{n}-->");
    let mut out = String::with_capacity(body.len() + 64);
    let mut blocks: Vec<Block> = Vec::new();
    let mut errors = Vec::new();
    // Open blocks, innermost last; `None` for an opening fence that was reported
    // as an error, so that its closing fence is not reported a second time.
    let mut stack: Vec<Option<usize>> = Vec::new();
    let mut code: Option<(u8, usize)> = None; // fence char and length of an open code fence
    for (i, raw) in body.split_inclusive('\n').enumerate() {
        let lineno = i + 1;
        let line = raw.trim_end_matches(['\n', '\r']);
        let newline = &raw[line.len()..];
        let indent = line.len() - line.trim_start_matches(' ').len();
        let trimmed = &line[indent..];
        if let Some((ch, len)) = code {
            let run = trimmed.bytes().take_while(|b| *b == ch).count();
            if indent < 4 && run >= len && trimmed[run..].trim().is_empty() {
                code = None;
            }
            out.push_str(raw);
            continue;
        }
        if indent < 4 {
            if let Some(fence) = code_fence_open(trimmed) {
                code = Some(fence);
                out.push_str(raw);
                continue;
            }
        }
        let colons = trimmed.bytes().take_while(|b| *b == b':').count();
        if indent >= 4 || colons < 3 {
            out.push_str(raw);
            continue;
        }
        let rest = trimmed[colons..].trim();
        if rest.is_empty() {
            match stack.pop() {
                Some(Some(n)) => {
                    blocks[n].close_line = lineno;
                    out.push_str(&close_marker(n));
                }
                Some(None) => out.push_str(line),
                None => {
                    errors.push(FenceError { line: lineno, col: indent + 1, message: "closing `:::` without an open block".into() });
                    out.push_str(line);
                }
            }
            out.push_str(newline);
            continue;
        }
        match parse_open(rest) {
            Ok(mut block) => {
                block.line = lineno;
                if let Some(parent) = stack.last().copied().flatten().map(|n| blocks[n].name.as_str()) {
                    if let Some(msg) = nesting_problem(parent, &block.name) {
                        errors.push(FenceError { line: lineno, col: indent + colons + 2, message: msg });
                    }
                }
                let n = blocks.len();
                blocks.push(block);
                stack.push(Some(n));
                out.push_str(&open_marker(n));
            }
            Err(message) => {
                errors.push(FenceError { line: lineno, col: indent + colons + 2, message });
                stack.push(None);
                out.push_str(line);
            }
        }
        out.push_str(newline);
    }
    for n in stack.into_iter().flatten() {
        let b = &blocks[n];
        errors.push(FenceError { line: b.line, col: 1, message: format!("`{}` block is not closed: add a line `:::` after its content", b.name) });
    }
    if errors.is_empty() { Ok(Scanned { markdown: out, blocks, prefix }) } else { Err(errors) }
}

/// Opening code fence: three or more backticks or tildes.
fn code_fence_open(line: &str) -> Option<(u8, usize)> {
    let ch = *line.as_bytes().first()?;
    if ch != b'`' && ch != b'~' {
        return None;
    }
    let len = line.bytes().take_while(|b| *b == ch).count();
    // A backtick fence's info string may not contain backticks.
    (len >= 3 && !(ch == b'`' && line[len..].contains('`'))).then_some((ch, len))
}

fn nesting_problem(parent: &str, child: &str) -> Option<String> {
    match (parent, child) {
        ("comments", "comment" | "note") | ("comment", "note" | "comment" | "bilingual") => None,
        (_, "comment") => Some(format!("a `comment` block belongs inside a `comments` block, not inside `{parent}`")),
        ("comment", c) => Some(format!("`{c}` cannot be nested inside a `comment` block")),
        ("comments", c) => Some(format!("a `comments` block holds `comment` blocks (and notes), not `{c}`")),
        _ => None,
    }
}

/// `bilingual {source=en target=zh}`, `{.note}`, `comment {author="A B"}`, `note :::`.
fn parse_open(text: &str) -> Result<Block, String> {
    let text = text.trim_end_matches(':').trim_end();
    let (name, attr_text) = match text.find('{') {
        Some(i) => (text[..i].trim(), Some(&text[i..])),
        None => (text.trim(), None),
    };
    let mut block = Block { name: name.to_string(), attrs: BTreeMap::new(), id: None, classes: Vec::new(), line: 0, close_line: 0 };
    if let Some(attr_text) = attr_text {
        let inner = attr_text
            .strip_prefix('{')
            .and_then(|t| t.trim_end().strip_suffix('}'))
            .ok_or_else(|| "attributes must be closed with `}`".to_string())?;
        parse_attrs(inner, &mut block)?;
    }
    if block.name.is_empty() {
        // Pandoc style `::: {.note}`: the first class names the block.
        if block.classes.is_empty() {
            return Err("a block needs a name: `::: note`, `::: bilingual`, `::: comments`, `::: comment`, `::: postscript`".into());
        }
        block.name = block.classes.remove(0);
    }
    let Some((_, allowed)) = KINDS.iter().find(|(k, _)| *k == block.name) else {
        let hint = crate::error::did_you_mean(&block.name, KINDS.iter().map(|(k, _)| *k));
        let known = KINDS.iter().map(|(k, _)| format!("`{k}`")).collect::<Vec<_>>().join(", ");
        return Err(format!("unknown block `{}`{hint}; known blocks are {known}", block.name));
    };
    for key in block.attrs.keys() {
        if !allowed.contains(&key.as_str()) {
            let hint = crate::error::did_you_mean(key, allowed.iter().copied());
            return Err(format!("`{}` blocks have no attribute `{key}`{hint}", block.name));
        }
    }
    if block.name == "comment" && block.attrs.get("author").is_none_or(|a| a.trim().is_empty()) {
        return Err("a `comment` block needs an author: `::: comment {author=NAME}`".into());
    }
    for key in ["source", "target", "lang"] {
        if block.name != "comments" {
            if let Some(v) = block.attrs.get(key) {
                if !crate::config::is_language_code(v) {
                    return Err(format!("`{key}={v}` is not a language code such as `en` or `zh-Hans`"));
                }
            }
        }
    }
    Ok(block)
}

/// Attributes: `key=value`, `key="quoted value"`, `key='v'`, `.class`, `#id`.
fn parse_attrs(text: &str, block: &mut Block) -> Result<(), String> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '=' {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        if i < chars.len() && chars[i] == '=' {
            i += 1;
            let value = if i < chars.len() && (chars[i] == '"' || chars[i] == '\'') {
                let quote = chars[i];
                i += 1;
                let mut v = String::new();
                loop {
                    match chars.get(i) {
                        None => return Err(format!("the value of `{word}` has no closing {quote}")),
                        Some('\\') if chars.get(i + 1).is_some_and(|n| *n == quote || *n == '\\') => {
                            v.push(chars[i + 1]);
                            i += 2;
                        }
                        Some(ch) if *ch == quote => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            v.push(*ch);
                            i += 1;
                        }
                    }
                }
                v
            } else {
                let vs = i;
                while i < chars.len() && !chars[i].is_whitespace() {
                    i += 1;
                }
                chars[vs..i].iter().collect()
            };
            if word.is_empty() || !word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                return Err(format!("`{word}` is not an attribute name"));
            }
            if block.attrs.insert(word.clone(), value).is_some() {
                return Err(format!("attribute `{word}` is given twice"));
            }
        } else if let Some(class) = word.strip_prefix('.') {
            block.classes.push(class.to_string());
        } else if let Some(id) = word.strip_prefix('#') {
            block.id = Some(id.to_string());
        } else {
            return Err(format!("`{word}` is not an attribute: write `key=value`, `.class` or `#id`"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_fences_with_markers() {
        let s = scan("a\n::: bilingual {source=en target=zh}\nx\n\ny\n:::\nb").unwrap();
        assert_eq!(s.markdown, "a\n<!--gen0:open:0-->\nx\n\ny\n<!--gen0:close:0-->\nb");
        assert_eq!(s.blocks[0].name, "bilingual");
        assert_eq!(s.blocks[0].attrs["source"], "en");
        assert_eq!((s.blocks[0].line, s.blocks[0].close_line), (2, 6));
    }

    #[test]
    fn nests_and_reads_quoted_attributes() {
        let s =
            scan("::: comments {source=Slashdot url=\"https://x/y?a=1\"}\n::: comment {author=Junta title=\"这让我 想起\"}\nhi\n:::\n:::\n").unwrap();
        assert_eq!(s.blocks[1].attrs["title"], "这让我 想起");
        assert_eq!(s.blocks[0].attrs["url"], "https://x/y?a=1");
        assert!(s.markdown.contains("<!--gen0:close:1-->\n<!--gen0:close:0-->"));
    }

    #[test]
    fn ignores_fences_in_code() {
        let s = scan("```\n::: note\n```\n~~~~\n:::\n~~~~\n").unwrap();
        assert!(s.blocks.is_empty());
    }

    #[test]
    fn errors_are_located() {
        let e = scan("x\n::: notes\n:::\n").unwrap_err();
        assert_eq!(e.len(), 1, "the closing fence of a bad block is not a second error: {e:?}");
        assert_eq!((e[0].line, e[0].col), (2, 5));
        assert!(e[0].message.starts_with("unknown block `notes` (did you mean `note`?)"), "{}", e[0].message);
        let e = scan("::: note\ntext\n").unwrap_err();
        assert_eq!(e[0].message, "`note` block is not closed: add a line `:::` after its content");
        let e = scan("text\n:::\n").unwrap_err();
        assert_eq!((e[0].line, e[0].message.as_str()), (2, "closing `:::` without an open block"));
        let e = scan("::: comment\n:::\n").unwrap_err();
        assert!(e[0].message.contains("needs an author"));
        let e = scan("::: bilingual {sorce=en}\n:::\n").unwrap_err();
        assert!(e[0].message.contains("did you mean `source`"));
        let e = scan("::: note {title=\"x}\n:::\n").unwrap_err();
        assert!(e[0].message.contains("no closing"));
    }

    #[test]
    fn pandoc_class_form() {
        let s = scan("::: {.postscript #ps} :::\nx\n:::\n").unwrap();
        assert_eq!(s.blocks[0].name, "postscript");
        assert_eq!(s.blocks[0].id.as_deref(), Some("ps"));
    }

    #[test]
    fn markers_written_by_the_author_are_not_markers() {
        let body = "<!--gen0:open:7-->\n```\n<!--gen1:close:0-->\n```\n::: note\nx\n:::\n";
        let s = scan(body).unwrap();
        assert_eq!(s.prefix, "<!--gen2:");
        assert_eq!(s.markdown, "<!--gen0:open:7-->\n```\n<!--gen1:close:0-->\n```\n<!--gen2:open:0-->\nx\n<!--gen2:close:0-->\n");
        assert_eq!(s.markdown.lines().filter_map(|l| s.parse_marker(l)).collect::<Vec<_>>(), [(true, 0), (false, 0)]);
        assert_eq!(s.parse_marker("  <!--gen2:open:0-->"), None);
    }

    #[test]
    fn markers_round_trip() {
        let s = scan("").unwrap();
        assert_eq!(s.parse_marker(&s.open_marker(12)), Some((true, 12)));
        assert_eq!(s.parse_marker(&format!("{}\n", s.close_marker(3))), Some((false, 3)));
        assert_eq!(s.parse_marker("<!-- x -->"), None);
        assert_eq!(Scanned::default().parse_marker("<!--gen0:open:1-->"), None);
    }
}
