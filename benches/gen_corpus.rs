//! Writes a synthetic newsletter site of N posts for the benchmark (`scripts/bench`):
//! deterministic (seeded PRNG, no clock), Chinese and English posts in gen's content format.
//!
//! Usage: `cargo run --release --example gen_corpus -- N DIR [--seed S]`
//!
//! Each post has ~1,100 word-equivalents (CJK characters count one each, Latin
//! words one each): Chinese paragraphs soft-wrapped like an editor would,
//! English quotes, `::: bilingual` pairs, `::: comments` with `::: comment` and
//! `::: note`, `::: postscript`, code fences (rust, python, js, bash), a GitHub
//! table, footnotes, 1–4 tags from a pool of 50, `related` and `@/` links to
//! earlier posts. About 20% of posts have an English translation (`.en.md`);
//! issue numbers are unique per language; dates spread over years.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

/// SplitMix64: small, fast, deterministic (also the edit sequences of tests/incremental.rs).
pub struct Rng(pub u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

#[rustfmt::skip]
const ZH_WORDS: &[&str] = &[
    "人工智能", "大模型", "训练", "推理", "数据", "算力", "芯片", "开源", "社区", "研究", "团队", "公司", "发布", "模型", "参数", "能力", "安全", "监管", "政策", "市场", "用户", "产品",
    "技术", "创新", "未来", "问题", "方法", "结果", "实验", "论文", "作者", "编译", "读者", "评论", "观点", "分析", "预测", "趋势", "投资", "融资", "竞争", "合作", "生态", "平台",
    "应用", "场景", "效率", "成本", "价格", "性能", "基准", "测试", "评估", "对齐", "幻觉", "提示词", "上下文", "向量", "检索", "增强", "微调", "蒸馏", "量化", "部署", "服务器", "显卡",
    "内存", "带宽", "延迟", "吞吐", "我们", "他们", "认为", "表示", "指出", "强调", "透露", "宣布", "计划", "已经", "正在", "可能", "并且", "但是", "因为", "所以", "如果", "虽然",
    "然而", "一个", "这种", "那些", "目前", "今年", "去年", "明年", "全球", "国内", "海外", "行业", "专家", "学者", "工程师", "开发者", "创业者", "高管", "采访", "会议", "报告", "新闻",
    "消息", "传闻", "真相", "细节", "背景", "历史", "经验", "教训", "挑战", "机会", "风险", "收益", "代价",
];
const ZH_PUNCT: &[&str] = &["，", "，", "，", "。", "；", "、", "：", "！", "？"];
#[rustfmt::skip]
const EN_WORDS: &[&str] = &[
    "the", "model", "training", "we", "have", "a", "lot", "of", "work", "to", "do", "before", "start", "said", "Altman", "OpenAI", "GPT-5",
    "research", "new", "ideas", "that", "think", "need", "for", "it", "but", "are", "certainly", "not", "close", "company", "compute",
    "data", "scaling", "law", "safety", "regulation", "open", "source", "weights", "benchmark", "inference", "latency", "token", "context",
    "window", "agent", "reasoning", "alignment", "is", "was", "will", "be", "more", "less", "than", "every", "year", "chip", "cluster",
    "market", "users", "product", "launch", "paper", "results", "in", "on", "with", "from", "by", "about", "this", "which", "they", "their",
    "our", "and", "or", "language", "large", "small", "fast", "slow", "better", "worse", "cost", "price", "hardware", "software", "Rust",
    "Python", "team", "lab",
];
#[rustfmt::skip]
const TAGS: &[&str] = &[
    "OpenAI", "GPT-5", "GPT-4", "Anthropic", "Claude", "Google", "Gemini", "Meta", "Llama", "Mistral", "DeepSeek", "Qwen", "NVIDIA", "AMD",
    "Rust", "Python", "JavaScript", "WebAssembly", "Linux", "Open Source", "Benchmarks", "Inference", "Training", "Fine-tuning", "RAG",
    "Agents", "Safety", "Policy", "Startups", "Funding", "大模型", "人工智能", "芯片", "开源", "监管", "安全", "算力", "数据", "编程", "机器人", "自动驾驶", "多模态",
    "语音", "图像生成", "搜索", "教育", "医疗", "金融", "读者来信", "访谈",
];
const AUTHORS: &[&str] = &["Junta", "runton", "reader42", "小王", "老张", "ml_fan", "silicon", "汤源", "anon", "Quasar"];
const LOCATIONS: &[&str] = &["上海", "北京", "深圳", "杭州", "旧金山", "伦敦", "新加坡"];
const PUBLISHERS: &[&str] = &["TechCrunch", "The Verge", "Wired", "Reuters", "Bloomberg", "Slashdot", "Ars Technica"];

/// A Chinese sentence of about `chars` CJK characters, with Latin words mixed in.
fn zh_sentence(rng: &mut Rng, chars: usize) -> String {
    let mut s = String::new();
    let mut n = 0;
    while n < chars {
        if rng.chance(8) {
            let w = *rng.pick(EN_WORDS);
            s.push_str(w);
            n += 1;
        } else {
            let w = rng.pick(ZH_WORDS);
            s.push_str(w);
            n += w.chars().count();
        }
        if rng.chance(12) {
            let p = *rng.pick(ZH_PUNCT);
            s.push_str(p);
        }
    }
    s.push('。');
    s
}

fn en_sentence(rng: &mut Rng, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        let w = *rng.pick(EN_WORDS);
        if i == 0 {
            let mut c = w.chars();
            if let Some(f) = c.next() {
                s.extend(f.to_uppercase());
                s.push_str(c.as_str());
            }
        } else {
            s.push(' ');
            s.push_str(w);
        }
    }
    s.push('.');
    s
}

fn zh_sentence_in(rng: &mut Rng, (lo, hi): (usize, usize)) -> String {
    let n = rng.range(lo, hi);
    zh_sentence(rng, n)
}

fn en_sentence_in(rng: &mut Rng, (lo, hi): (usize, usize)) -> String {
    let n = rng.range(lo, hi);
    en_sentence(rng, n)
}

/// Hard-wrap text the way editors do, at any character (CJK soft breaks).
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / width);
    let mut col = 0;
    for c in text.chars() {
        if col >= width && c != ' ' && !out.ends_with(' ') {
            out.push('\n');
            col = 0;
        }
        out.push(c);
        col += 1;
    }
    out
}

/// A Chinese paragraph of about `chars` word-equivalents, soft-wrapped.
fn zh_paragraph(rng: &mut Rng, chars: usize, footnote: Option<usize>) -> String {
    let mut p = String::new();
    let mut n = 0;
    while n < chars {
        let len = rng.range(15, 40);
        p.push_str(&zh_sentence(rng, len));
        n += len;
        if rng.chance(10) {
            let _ = write!(p, "**{}**", zh_sentence(rng, 8));
            n += 8;
        }
    }
    if let Some(f) = footnote {
        let _ = write!(p, "[^{f}]");
    }
    wrap(&p, rng.range(36, 60))
}

fn code_block(rng: &mut Rng, i: usize) -> String {
    match rng.below(4) {
        0 => format!(
            "```rust\n/// Sum of the first {i} squares.\nfn sum_squares(n: u64) -> u64 {{\n    (1..=n).map(|k| k * k).sum()\n}}\n\nfn main() {{\n    let v: Vec<String> = std::env::args().collect();\n    println!(\"{{}} {{:?}}\", sum_squares({i}), v);\n}}\n```\n"
        ),
        1 => format!(
            "```python\nimport json\n\ndef load(path: str) -> dict:\n    \"\"\"Read issue {i}.\"\"\"\n    with open(path) as f:\n        return json.load(f)\n\nfor k, v in sorted(load('x.json').items()):\n    print(f\"{{k}}: {{v * {i}}}\")\n```\n"
        ),
        2 => format!(
            "```js\nconst posts = await fetch('/feed.json').then((r) => r.json());\nfor (const p of posts.items.slice(0, {})) {{\n  console.log(`${{p.title}} — ${{p.url}}`);\n}}\nexport default function issue() {{ return {i}; }}\n```\n",
            i % 20 + 1
        ),
        _ => format!(
            "```bash\n#!/usr/bin/env bash\nset -euo pipefail\nfor f in content/posts/*.md; do\n  grep -c '^::: ' \"$f\" || true\ndone | sort | uniq -c | head -n {}\ncurl -s https://example.com/letter/rss.xml > /dev/null\n```\n",
            i % 9 + 1
        ),
    }
}

fn table(rng: &mut Rng) -> String {
    let mut t = String::from("| 模型 | 参数 | 得分 | Notes |\n|---|---:|---:|---|\n");
    for _ in 0..rng.range(3, 6) {
        let _ = writeln!(
            t,
            "| {} | {}B | {}.{} | {} |",
            rng.pick(TAGS),
            rng.range(1, 400),
            rng.range(40, 99),
            rng.below(10),
            en_sentence(rng, 4).trim_end_matches('.')
        );
    }
    t
}

/// Days since 1970-01-01 to (year, month, day) (proleptic Gregorian).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

struct PostMeta {
    file_stem: String,
    slug: String,
}

fn yaml_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// One post body in `lang` (zh or en).
fn body(rng: &mut Rng, i: usize, lang: &str, earlier: &[PostMeta]) -> String {
    let zh = lang == "zh";
    let para = |rng: &mut Rng, n: usize, f: Option<usize>| -> String {
        if zh {
            zh_paragraph(rng, n, f)
        } else {
            let mut p = String::new();
            let mut w = 0;
            while w < n {
                let k = rng.range(8, 20);
                p.push_str(&en_sentence(rng, k));
                p.push(' ');
                w += k;
            }
            let mut p = p.trim_end().to_string();
            if let Some(f) = f {
                let _ = write!(p, "[^{f}]");
            }
            wrap(&p, 72)
        }
    };
    let para_in = |rng: &mut Rng, (lo, hi): (usize, usize), f: Option<usize>| {
        let n = rng.range(lo, hi);
        para(rng, n, f)
    };
    let mut b = String::new();
    b.push_str(&para(rng, 80, None));
    b.push_str("\n\n<!-- more -->\n\n");
    let _ = writeln!(b, "## {}\n", if zh { zh_sentence(rng, 8).trim_end_matches('。').to_string() } else { en_sentence(rng, 5) });
    let footnotes = rng.range(1, 3);
    for k in 0..3 {
        let f = (k < footnotes).then_some(k + 1);
        b.push_str(&para_in(rng, (70, 100), f));
        b.push_str("\n\n");
    }
    if !earlier.is_empty() && rng.chance(30) {
        let target = &earlier[rng.below(earlier.len())];
        let anchor = if rng.chance(30) { "#comments" } else { "" };
        let _ = writeln!(b, "{} [{}](@/posts/{}.md{anchor})。\n", if zh { "参见此前的文章" } else { "See also" }, target.slug, target.file_stem);
    }
    let _ = writeln!(b, "> {}\n", en_sentence_in(rng, (15, 30)));
    b.push_str("::: bilingual {source=en target=zh}\n");
    for _ in 0..rng.range(2, 3) {
        let _ = writeln!(b, "> **\"{}\" {} said.**\n", en_sentence_in(rng, (15, 25)), rng.pick(AUTHORS));
        let _ = writeln!(b, "> **“{}”**\n", zh_sentence_in(rng, (25, 40)));
    }
    b.push_str(":::\n\n");
    let _ = writeln!(b, "### {}\n", if zh { zh_sentence(rng, 6).trim_end_matches('。').to_string() } else { en_sentence(rng, 4) });
    b.push_str(&para_in(rng, (70, 100), None));
    b.push_str("\n\n");
    b.push_str(&code_block(rng, i));
    b.push('\n');
    if rng.chance(40) {
        b.push_str(&code_block(rng, i + 1));
        b.push('\n');
    }
    b.push_str(&table(rng));
    b.push('\n');
    b.push_str(&para_in(rng, (45, 80), None));
    b.push_str("\n\n");
    let _ = writeln!(b, "::: comments {{source={} url=\"https://slashdot.org/story/{i}\"}}", rng.pick(PUBLISHERS).replace(' ', "-"));
    for _ in 0..rng.range(2, 3) {
        let _ = writeln!(b, "::: comment {{author={} title=\"{}\"}}", rng.pick(AUTHORS), zh_sentence(rng, 10).trim_end_matches('。'));
        b.push_str(&para_in(rng, (45, 80), None));
        b.push('\n');
        if rng.chance(40) {
            b.push_str("::: note\n");
            b.push_str(&para(rng, 30, None));
            b.push_str("\n:::\n");
        }
        b.push_str(":::\n");
    }
    b.push_str(":::\n\n");
    b.push_str("::: postscript\n");
    b.push_str(&para_in(rng, (45, 80), None));
    b.push_str("\n:::\n\n");
    for f in 1..=footnotes {
        let _ = writeln!(b, "[^{f}]: {} <https://example.org/ref/{i}/{f}>", if zh { zh_sentence(rng, 12) } else { en_sentence(rng, 8) });
    }
    b
}

fn front_matter(rng: &mut Rng, title: &str, date: &str, issue: Option<usize>, tags: &[&str], related: &[String], lang: &str) -> String {
    let mut f = String::from("---\n");
    let _ = writeln!(f, "title: {}", yaml_str(title));
    let _ = writeln!(f, "date: {date}");
    if lang == "zh" {
        let _ = writeln!(f, "location: {}", rng.pick(LOCATIONS));
    }
    if let Some(n) = issue {
        let _ = writeln!(f, "issue: {n}");
    }
    let quoted: Vec<String> = tags.iter().map(|t| yaml_str(t)).collect();
    let _ = writeln!(f, "tags: [{}]", quoted.join(", "));
    if !related.is_empty() {
        let _ = writeln!(f, "related: [{}]", related.join(", "));
    }
    if rng.chance(50) {
        let publisher = rng.pick(PUBLISHERS);
        let src_title = en_sentence(rng, 7);
        let _ = write!(
            f,
            "source:\n  title: {}\n  url: https://example.com/{}/story\n  publisher: {publisher}\n  author: {}\n",
            yaml_str(&src_title),
            publisher.to_lowercase().replace(' ', "-"),
            rng.pick(AUTHORS)
        );
        let _ = write!(f, "references:\n  - title: {}\n    url: https://example.com/ref\n", yaml_str(&src_title));
        let _ = write!(f, "credits:\n  - {{role: 文, name: {publisher}}}\n  - {{role: 编译, name: {}}}\n", rng.pick(AUTHORS));
    }
    f.push_str("---\n");
    f
}

const CONFIG: &str = "# A synthetic newsletter written by benches/gen_corpus.rs for the benchmark.
title: {zh: AI范儿, en: AI Fan}
description:
  zh: 关注大模型与人工智能前沿的中文通讯：编译、评论与读者讨论。
  en: A Chinese newsletter on large language models and AI, with translations, commentary and reader discussion.
base_url: https://example.com/letter/
default_language: zh
languages: [zh, en]
timezone: \"+08:00\"
author: {zh: AI范儿, en: AI Fan}
theme: default
paginate: 10
feeds: {atom: true, rss: true, json: true, limit: 20}
highlight: {light: InspiredGitHub, dark: base16-ocean.dark}
search: true
email: true
extra: {}
";

fn write(path: &Path, text: &str) {
    if let Some(d) = path.parent() {
        fs::create_dir_all(d).unwrap_or_else(|e| panic!("cannot create {}: {e}", d.display()));
    }
    fs::write(path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// Write the site of `n` posts into `dir`.
pub fn generate(n: usize, dir: &Path, seed: u64) -> usize {
    let mut rng = Rng(seed);
    write(&dir.join("config.yaml"), CONFIG);
    write(&dir.join("content/pages/about.md"), "---\ntitle: 关于\n---\n这是一个用于基准测试的合成通讯。\n");
    write(&dir.join("content/pages/about.en.md"), "---\ntitle: About\n---\nA synthetic newsletter for the benchmark.\n");
    let mut earlier: Vec<PostMeta> = Vec::with_capacity(n);
    let mut en_issue = 0;
    let mut files = 2;
    // Dates: from 2012 on, about one post every 0.6 days, in order of i.
    let start = 15_340i64; // 2012-01-01
    for i in 0..n {
        let day = start + (i as i64 * 3) / 5;
        let (y, m, d) = civil(day);
        let (hh, mm) = (rng.range(6, 22), rng.below(60));
        let date =
            if rng.chance(50) { format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}") } else { format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:00+08:00") };
        let word = rng.pick(EN_WORDS).to_lowercase().replace(|c: char| !c.is_ascii_alphanumeric(), "");
        let slug = format!("{word}-{i}");
        let file_stem = format!("{y:04}-{m:02}-{d:02}-{slug}");
        let mut tags: Vec<&str> = Vec::new();
        for _ in 0..rng.range(1, 4) {
            let t = *rng.pick(TAGS);
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        let mut related = Vec::new();
        if !earlier.is_empty() && rng.chance(30) {
            for _ in 0..rng.range(1, 2) {
                let r = earlier[rng.below(earlier.len())].slug.clone();
                if !related.contains(&r) {
                    related.push(r);
                }
            }
        }
        let title = format!("{}（第{}篇）", zh_sentence_in(&mut rng, (10, 20)).trim_end_matches('。'), i + 1);
        let issue = rng.chance(90).then_some(i + 1);
        let mut text = front_matter(&mut rng, &title, &date, issue, &tags, &related, "zh");
        text.push_str(&body(&mut rng, i, "zh", &earlier));
        write(&dir.join(format!("content/posts/{file_stem}.md")), &text);
        files += 1;
        if rng.chance(20) {
            en_issue += 1;
            let title = format!("{} (No. {})", en_sentence_in(&mut rng, (5, 10)).trim_end_matches('.'), i + 1);
            let mut text = front_matter(&mut rng, &title, &date, Some(en_issue), &tags, &related, "en");
            text.push_str(&body(&mut rng, i, "en", &earlier));
            write(&dir.join(format!("content/posts/{file_stem}.en.md")), &text);
            files += 1;
        }
        if rng.chance(2) {
            let c = format!(
                "- author: {}\n  date: {y:04}-{m:02}-{d:02}T20:00:00+08:00\n  source: Email\n  title: {}\n  body: |\n    {}\n  replies:\n    - author: AI范儿\n      body: 谢谢！\n",
                rng.pick(AUTHORS),
                yaml_str(&zh_sentence(&mut rng, 8)),
                zh_sentence(&mut rng, 40)
            );
            write(&dir.join(format!("content/comments/{slug}.yaml")), &c);
            files += 1;
        }
        earlier.push(PostMeta { file_stem, slug });
    }
    files
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: gen_corpus N DIR [--seed S]";
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or_else(|| {
        eprintln!("{usage}");
        std::process::exit(2)
    });
    let Some(dir) = args.get(1).map(PathBuf::from) else {
        eprintln!("{usage}");
        std::process::exit(2)
    };
    let seed = args.iter().position(|a| a == "--seed").and_then(|i| args.get(i + 1)).and_then(|s| s.parse().ok()).unwrap_or(42);
    // Only ever replace a folder this program wrote.
    if dir.exists() {
        if !dir.join(".gen-corpus").exists() {
            eprintln!("{} exists and was not written by gen_corpus; choose another folder", dir.display());
            std::process::exit(2);
        }
        fs::remove_dir_all(&dir).unwrap_or_else(|e| panic!("cannot remove {}: {e}", dir.display()));
    }
    write(&dir.join(".gen-corpus"), &format!("{n} {seed}\n"));
    let files = generate(n, &dir, seed);
    println!("wrote {files} content files ({n} posts) into {}", dir.display());
}
