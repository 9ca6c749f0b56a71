//! Code highlighting with syntect: HTML with CSS classes (never inline styles),
//! and the light and dark stylesheets generated from two syntect themes.
//! The syntax set is loaded once, and only when a code fence names a language.

use std::sync::OnceLock;
use syntect::highlighting::ThemeSet;
use syntect::html::{ClassStyle, ClassedHTMLGenerator, css_for_theme_with_class_style};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

use crate::escape::html as escape;

const STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// Short names authors use that syntect knows under another token.
fn alias(lang: &str) -> &str {
    match lang {
        "js" | "javascript" | "jsx" | "ts" | "typescript" | "tsx" | "mjs" => "js",
        "sh" | "shell" | "bash" | "zsh" | "console" => "sh",
        "py" | "python" | "python3" => "py",
        "rs" | "rust" => "rs",
        "yml" | "yaml" => "yaml",
        "md" | "markdown" => "md",
        "c++" | "cpp" => "cpp",
        other => other,
    }
}

/// A `<pre><code>` block for `code`, highlighted when `lang` is known to syntect.
pub fn code_block(code: &str, lang: &str) -> String {
    let lang = lang.split([' ', ',', '{']).next().unwrap_or_default().trim();
    let class = if lang.is_empty() { String::new() } else { format!(" class=\"language-{}\"", escape(lang)) };
    let data = if lang.is_empty() { String::new() } else { format!(" data-lang=\"{}\"", escape(lang)) };
    if !lang.is_empty() && lang != "text" && lang != "plain" {
        let set = syntaxes();
        let token = alias(&lang.to_ascii_lowercase()).to_string();
        if let Some(syntax) = set.find_syntax_by_token(&token) {
            let mut generator = ClassedHTMLGenerator::new_with_class_style(syntax, set, STYLE);
            let ok = LinesWithEndings::from(code).all(|line| generator.parse_html_for_line_which_includes_newline(line).is_ok());
            if ok {
                return format!("<pre class=\"highlight\"{data}><code{class}>{}</code></pre>\n", generator.finalize());
            }
        }
    }
    format!("<pre{data}><code{class}>{}</code></pre>\n", escape(code))
}

/// The stylesheet for one syntect theme by name, or `None` if there is no such theme.
pub fn theme_css(name: &str) -> Option<String> {
    let themes = ThemeSet::load_defaults();
    let theme = themes.themes.get(name)?;
    css_for_theme_with_class_style(theme, STYLE).ok()
}

/// The names of the themes syntect ships, for error messages.
pub fn theme_names() -> Vec<String> {
    ThemeSet::load_defaults().themes.keys().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlights_with_classes() {
        let html = code_block("fn main() {}\n", "rust");
        assert!(html.starts_with("<pre class=\"highlight\" data-lang=\"rust\"><code class=\"language-rust\">"), "{html}");
        assert!(html.contains("class=\"hl-"), "{html}");
        assert!(!html.contains("style="));
    }

    #[test]
    fn unknown_language_is_escaped_plain() {
        assert_eq!(code_block("<b>\n", "nosuchlang"), "<pre data-lang=\"nosuchlang\"><code class=\"language-nosuchlang\">&lt;b&gt;\n</code></pre>\n");
        assert_eq!(code_block("x", ""), "<pre><code>x</code></pre>\n");
    }

    #[test]
    fn theme_stylesheets() {
        assert!(theme_css("InspiredGitHub").unwrap().contains(".hl-"));
        assert!(theme_css("nope").is_none());
    }
}
