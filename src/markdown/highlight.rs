//! Code highlighting with syntect: HTML with CSS classes (never inline styles),
//! and the light and dark stylesheets generated from two syntect themes,
//! with every colour made readable (4.5:1) on the theme's background.
//! The syntax set is loaded once, and only when a code fence names a language.

use std::sync::OnceLock;
use syntect::highlighting::{Color, Theme, ThemeSet};
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
/// Long lines scroll inside the block, so it takes the keyboard focus
/// (`tabindex="0"`) for readers who scroll with arrow keys.
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
                return format!("<pre class=\"highlight\"{data} tabindex=\"0\"><code{class}>{}</code></pre>\n", generator.finalize());
            }
        }
    }
    format!("<pre{data} tabindex=\"0\"><code{class}>{}</code></pre>\n", escape(code))
}

/// The stylesheet for one syntect theme by name, or `None` if there is no such
/// theme. Highlighted blocks take the theme's background, and colours that
/// are too faint on it (comments often are) are darkened or lightened until
/// they reach the 4.5:1 contrast WCAG asks of text.
pub fn theme_css(name: &str) -> Option<String> {
    let themes = ThemeSet::load_defaults();
    let mut theme = themes.themes.get(name)?.clone();
    let background = readable_theme(&mut theme);
    let mut css = css_for_theme_with_class_style(&theme, STYLE).ok()?;
    if let Some(bg) = background {
        css.push_str(&format!("\npre.highlight {{ background-color: {}; }}\n", hex(bg)));
    }
    Some(css)
}

/// Make every foreground of `theme` readable on its background; returns that background.
fn readable_theme(theme: &mut Theme) -> Option<Color> {
    let bg = theme.settings.background?;
    if let Some(fg) = theme.settings.foreground.as_mut() {
        *fg = readable(*fg, bg);
    }
    for item in &mut theme.scopes {
        let under = item.style.background.unwrap_or(bg);
        if let Some(fg) = item.style.foreground.as_mut() {
            *fg = readable(*fg, under);
        }
    }
    Some(bg)
}

/// Contrast a little above 4.5:1, so rounding to hex never falls below it.
const MIN_CONTRAST: f64 = 4.6;

/// `fg` moved towards black (on a light `bg`) or white (on a dark one) just
/// far enough to reach [`MIN_CONTRAST`]; `fg` itself when it already does.
fn readable(fg: Color, bg: Color) -> Color {
    let opaque = Color { a: 0xff, ..fg };
    if contrast(opaque, bg) >= MIN_CONTRAST {
        return fg;
    }
    let target = if luminance(bg) > 0.18 { 0.0 } else { 255.0 };
    for step in 1..=40 {
        let k = f64::from(step) / 40.0;
        let m = |c: u8| (f64::from(c) + (target - f64::from(c)) * k).round() as u8;
        let c = Color { r: m(fg.r), g: m(fg.g), b: m(fg.b), a: 0xff };
        if contrast(c, bg) >= MIN_CONTRAST {
            return c;
        }
    }
    Color { r: target as u8, g: target as u8, b: target as u8, a: 0xff }
}

/// Relative luminance (WCAG 2).
fn luminance(c: Color) -> f64 {
    let lin = |v: u8| {
        let v = f64::from(v) / 255.0;
        if v <= 0.03928 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
    };
    0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b)
}

fn contrast(a: Color, b: Color) -> f64 {
    let (x, y) = (luminance(a), luminance(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

fn hex(c: Color) -> String {
    format!("#{:02x}{:02x}{:02x}", c.r, c.g, c.b)
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
        assert!(html.starts_with("<pre class=\"highlight\" data-lang=\"rust\" tabindex=\"0\"><code class=\"language-rust\">"), "{html}");
        assert!(html.contains("class=\"hl-"), "{html}");
        assert!(!html.contains("style="));
    }

    #[test]
    fn unknown_language_is_escaped_plain() {
        assert_eq!(
            code_block("<b>\n", "nosuchlang"),
            "<pre data-lang=\"nosuchlang\" tabindex=\"0\"><code class=\"language-nosuchlang\">&lt;b&gt;\n</code></pre>\n"
        );
        assert_eq!(code_block("x", ""), "<pre tabindex=\"0\"><code>x</code></pre>\n");
    }

    #[test]
    fn theme_stylesheets() {
        assert!(theme_css("InspiredGitHub").unwrap().contains(".hl-"));
        assert!(theme_css("nope").is_none());
    }

    #[test]
    fn every_colour_of_every_theme_is_readable() {
        let white = Color { r: 255, g: 255, b: 255, a: 255 };
        assert_eq!(hex(readable(Color { r: 0x96, g: 0x98, b: 0x96, a: 255 }, white)), "#717271");
        for name in theme_names() {
            let mut theme = ThemeSet::load_defaults().themes[&name].clone();
            let Some(bg) = readable_theme(&mut theme) else { continue };
            for item in &theme.scopes {
                if let Some(fg) = item.style.foreground {
                    let under = item.style.background.unwrap_or(bg);
                    assert!(contrast(Color { a: 255, ..fg }, under) >= 4.5, "{name}: {:?} on {}", hex(fg), hex(under));
                }
            }
            assert!(theme_css(&name).unwrap().contains(&format!("pre.highlight {{ background-color: {}; }}", hex(bg))));
        }
    }
}
