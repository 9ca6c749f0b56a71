//! `gen init [DIR]`: start a new site with `config.yaml` and one bilingual
//! sample post, and nothing else (the default theme is embedded in gen).

use crate::date::Zone;
use crate::disk;
use chrono::{DateTime, FixedOffset};
use std::path::{Path, PathBuf};

/// Run `gen init` in `dir`; returns the process exit code.
pub fn run(dir: &Path) -> i32 {
    // The clock, the local offset and the machine's zone name are read here, once.
    let now = chrono::Local::now().fixed_offset();
    let zone = site_zone(now, iana_time_zone::get_timezone().ok().as_deref());
    match write(dir, now, zone) {
        Ok(paths) => {
            for p in &paths {
                println!("Created {}", p.display());
            }
            println!("Build it with `gen build{}`; the site is then in public/.", root_arg(dir));
            0
        }
        Err(message) => {
            eprintln!("error: {message}");
            1
        }
    }
}

fn root_arg(dir: &Path) -> String {
    if dir == Path::new(".") || dir.as_os_str().is_empty() { String::new() } else { format!(" --root {}", dir.display()) }
}

/// The new site's `timezone:`: the machine's IANA zone (`Europe/Berlin`), so
/// that dates follow its daylight saving, when gen knows the name and it
/// agrees with the clock's offset now; else that offset (`+01:00`).
pub fn site_zone(now: DateTime<FixedOffset>, name: Option<&str>) -> Zone {
    let fixed = Zone::Fixed(*now.offset());
    match name.map(Zone::parse) {
        Some(Ok(zone @ Zone::Named(_))) if zone.at(&now).offset() == now.offset() => zone,
        _ => fixed,
    }
}

/// Write the new site's files into `dir`; refuses (writing nothing) if one exists.
pub fn write(dir: &Path, now: DateTime<FixedOffset>, zone: Zone) -> Result<Vec<PathBuf>, String> {
    let files: Vec<(PathBuf, String)> = files(now, zone).into_iter().map(|(p, t)| (dir.join(p), t)).collect();
    match disk::create_all_new(&files) {
        Ok(()) => Ok(files.into_iter().map(|(p, _)| p).collect()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(format!(
            "{} already exists; gen init starts a new site and never overwrites a file (nothing was written). Choose an empty folder: `gen init my-letter`",
            e
        )),
        Err(e) => Err(format!("cannot write the new site into {}: {e}", dir.display())),
    }
}

/// The files of a new site, by path inside it. `now` gives the sample post's
/// date, `zone` the site's timezone.
pub fn files(now: DateTime<FixedOffset>, zone: Zone) -> Vec<(String, String)> {
    let tz = zone.to_string();
    let day = now.format("%Y-%m-%d");
    let config = format!(
        r#"# The settings of this gen site. Every key is described in gen's content
# format (FORMAT.md); an unknown key is an error.
title: {{zh: 我的通讯, en: My Newsletter}}
description:
  zh: 一份中英双语的通讯：逐句对照的译文、读者评论和我们的看法。
  en: "A bilingual newsletter: sentence-by-sentence translations, reader comments and our own view."
base_url: https://example.com/        # where the site is published; may carry a sub-path
default_language: zh
languages: [zh, en]
timezone: "{tz}"                      # for dates written without an offset
author: {{zh: 编辑部, en: The Editors}}
theme: default
paginate: 10
feeds: {{atom: true, rss: true, json: true, limit: 20}}
search: true
email: true                           # or {{enabled: true, unsubscribe_url: https://…}}
untranslated: hide                    # `list`: show posts not yet translated in the other language's lists too
tags: {{}}                              # tag translations, e.g. {{通讯: {{en: Newsletter}}}}
extra: {{}}
"#
    );
    let post = format!(
        r#"---
title: 你好，世界：第一期
date: {time}
issue: 1
tags: [通讯]
summary: 这是用 gen 写的第一期通讯，演示逐句对照的双语段落。
---
欢迎！每一期我们挑一篇值得细读的英文报道，逐句对照翻译，附上读者的讨论和我们的看法。

<!-- more -->

## 逐句对照

::: bilingual {{source=en target=zh}}
> "Hello, world," the program said.

> “你好，世界，”程序说。

Every pair is the original first, then its translation.

每一对都是先原文，后译文。
:::

::: note
笔者注：读者可以在原文、译文和对照之间切换。
:::

::: postscript
写好了？运行 `gen build`，网站就在 public/ 里；`gen new "标题"` 开始下一期。
:::
"#,
        time = now.format("%Y-%m-%d %H:%M")
    );
    vec![("config.yaml".into(), config), (format!("content/posts/{day}-hello.md"), post)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_post_after_the_day() {
        let now = DateTime::parse_from_rfc3339("2024-05-06T07:08:09+08:00").unwrap();
        let f = files(now, Zone::Fixed(*now.offset()));
        assert_eq!(f[1].0, "content/posts/2024-05-06-hello.md");
        assert!(f[0].1.contains("timezone: \"+08:00\""));
        assert!(f[1].1.contains("date: 2024-05-06 07:08\n"));
        assert!(f[1].1.contains("::: bilingual {source=en target=zh}"));
    }

    #[test]
    fn writes_the_machines_zone_when_it_agrees_with_the_clock() {
        let summer = DateTime::parse_from_rfc3339("2024-07-01T09:00:00-04:00").unwrap();
        let zone = site_zone(summer, Some("America/New_York"));
        assert_eq!(zone.to_string(), "America/New_York");
        assert!(files(summer, zone)[0].1.contains("timezone: \"America/New_York\""));
        // A name gen does not know, none at all, or one that contradicts the clock: the offset.
        assert_eq!(site_zone(summer, Some("Mars/Olympus")).to_string(), "-04:00");
        assert_eq!(site_zone(summer, None).to_string(), "-04:00");
        assert_eq!(site_zone(summer, Some("Asia/Shanghai")).to_string(), "-04:00");
        // An offset-like name stays an offset.
        assert_eq!(site_zone(summer, Some("+05:00")).to_string(), "-04:00");
    }
}
