//! Chinese-aware text: which characters are CJK, whether a soft line break
//! between two runs is dropped or becomes a space, word counts and reading
//! time per script, summaries cut at a sentence boundary, and optional
//! spacing between CJK and Latin text.

/// Han, kana, hangul and the CJK symbol blocks (no punctuation).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FDF | 0x3040..=0x30FF | 0x3100..=0x312F | 0x31A0..=0x31FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}

/// CJK punctuation and fullwidth forms: `，。、；：？！“”‘’（）《》「」…—`.
pub fn is_cjk_punct(c: char) -> bool {
    matches!(c as u32, 0x3000..=0x303F | 0xFF00..=0xFFEF | 0xFE30..=0xFE4F | 0x2018..=0x201F | 0x2026 | 0x2014 | 0x00B7)
}

/// A CJK character or CJK punctuation.
pub fn is_cjk_like(c: char) -> bool {
    is_cjk(c) || is_cjk_punct(c)
}

/// A soft break between `before` and `after` is dropped when both sides are
/// CJK (or CJK punctuation); between Latin words it stays a space.
pub fn join_without_space(before: Option<char>, after: Option<char>) -> bool {
    matches!((before, after), (Some(a), Some(b)) if is_cjk_like(a) && is_cjk_like(b))
}

/// Words of mixed text: each CJK character counts as one, each run of Latin
/// letters or digits as one.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WordCount {
    pub cjk: usize,
    pub latin: usize,
}

impl WordCount {
    pub fn of(text: &str) -> WordCount {
        let mut count = WordCount::default();
        let mut in_word = false;
        for c in text.chars() {
            if is_cjk(c) {
                count.cjk += 1;
                in_word = false;
            } else if c.is_alphanumeric() || (in_word && (c == '\'' || c == '’' || c == '-')) {
                if !in_word {
                    count.latin += 1;
                }
                in_word = true;
            } else {
                in_word = false;
            }
        }
        count
    }

    pub fn add(&mut self, other: WordCount) {
        self.cjk += other.cjk;
        self.latin += other.latin;
    }

    pub fn total(&self) -> usize {
        self.cjk + self.latin
    }

    /// Minutes to read, at 300 CJK characters and 200 Latin words a minute; at least 1.
    pub fn reading_minutes(&self) -> usize {
        let minutes = self.cjk as f64 / 300.0 + self.latin as f64 / 200.0;
        (minutes.ceil() as usize).max(1)
    }
}

/// Cut plain `text` to at most `max` characters, preferring the end of a
/// sentence (`。！？.!?`), then a clause (`，,；;`), then a word boundary; `…` marks a cut.
pub fn cut_summary(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_string();
    }
    let head: Vec<(usize, char)> = text.char_indices().take(max).collect();
    let end_of = |i: usize| head[i].0 + head[i].1.len_utf8();
    let min = max / 2;
    let find =
        |pred: &dyn Fn(char) -> bool| head.iter().enumerate().rev().take_while(|(i, _)| *i >= min).find(|(_, (_, c))| pred(*c)).map(|(i, _)| i);
    if let Some(i) = find(&|c| matches!(c, '。' | '！' | '？' | '!' | '?' | '.' | '…')) {
        return text[..end_of(i)].to_string();
    }
    if let Some(i) = find(&|c| matches!(c, '，' | '；' | '、' | ',' | ';' | '：')) {
        return format!("{}…", &text[..head[i].0]);
    }
    // Between two CJK characters any point is a boundary; in Latin, a space.
    let i = find(&|c| c.is_whitespace() || is_cjk(c)).unwrap_or(head.len() - 1);
    format!("{}…", text[..end_of(i)].trim_end())
}

/// Put a space between CJK and Latin letters or digits in plain text.
pub fn autospace(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut prev: Option<char> = None;
    for c in text.chars() {
        if let Some(p) = prev {
            let latin = |x: char| x.is_ascii_alphanumeric();
            if (is_cjk(p) && latin(c)) || (latin(p) && is_cjk(c)) {
                out.push(' ');
            }
        }
        out.push(c);
        prev = Some(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soft_breaks() {
        assert!(join_without_space(Some('型'), Some('的')));
        assert!(join_without_space(Some('，'), Some('我')));
        assert!(!join_without_space(Some('a'), Some('b')));
        assert!(!join_without_space(Some('中'), Some('G')));
        assert!(!join_without_space(None, Some('中')));
    }

    #[test]
    fn counts_mixed_text() {
        let c = WordCount::of("OpenAI仍然没有启动GPT-5的预训练. It's fine");
        assert_eq!(c.cjk, 10);
        assert_eq!(c.latin, 4); // OpenAI, GPT-5, It's, fine
        assert_eq!(WordCount { cjk: 600, latin: 0 }.reading_minutes(), 2);
        assert_eq!(WordCount::default().reading_minutes(), 1);
    }

    #[test]
    fn summaries_cut_at_sentences() {
        let s = "第一句话很短。第二句话要长一些，还有逗号，然后继续下去直到很长很长。";
        assert_eq!(cut_summary(s, 12), "第一句话很短。");
        assert_eq!(cut_summary("短", 10), "短");
        let s = "one two three four five six seven";
        assert_eq!(cut_summary(s, 12), "one two…");
        // Never splits a character.
        let s = "😀".repeat(20);
        assert_eq!(cut_summary(&s, 5).chars().count(), 6);
    }

    #[test]
    fn spaces_between_scripts() {
        assert_eq!(autospace("在GPT-5上用了3天"), "在 GPT-5 上用了 3 天");
        assert_eq!(autospace("中文，English"), "中文，English");
    }
}
