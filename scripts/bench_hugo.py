#!/usr/bin/env python3
"""Write a Hugo site equivalent to a gen site (for scripts/bench): same posts, same pages.

Usage: bench_hugo.py GEN_SITE HUGO_SITE

Front matter stays YAML (Hugo reads it); dates without an offset get the
site's +08:00. Hugo does not know gen's `:::` blocks: they stay as text, and
`@/` links stay as they are. Layouts mirror the default theme's pages: a
paginated home per language, one page per post, tag pages listing every post
with its summary, a tag list, a section page listing every post (the archive).
"""

import os
import re
import shutil
import sys

CONFIG = """baseURL = "https://example.com/letter/"
title = "AI范儿"
defaultContentLanguage = "zh"
defaultContentLanguageInSubdir = false
paginate = 10
rssLimit = 20
enableRobotsTXT = true

[taxonomies]
tag = "tags"

[languages.zh]
weight = 1
languageName = "中文"
title = "AI范儿"

[languages.en]
weight = 2
languageName = "English"
title = "AI Fan"

[markup.goldmark.renderer]
unsafe = true

[markup.highlight]
noClasses = false
"""

BASEOF = """<!DOCTYPE html>
<html lang="{{ .Site.Language.Lang }}">
<head>
<meta charset="utf-8">
<title>{{ .Title }} · {{ .Site.Title }}</title>
<link rel="canonical" href="{{ .Permalink }}">
{{ range .AllTranslations }}<link rel="alternate" hreflang="{{ .Lang }}" href="{{ .Permalink }}">
{{ end }}<link rel="stylesheet" href="{{ "style.css" | absURL }}">
</head>
<body>
<header><a href="{{ "" | relLangURL }}">{{ .Site.Title }}</a>
<nav><a href="{{ "posts/" | relLangURL }}">archive</a> <a href="{{ "tags/" | relLangURL }}">tags</a></nav>
<nav>{{ range .Translations }}<a href="{{ .RelPermalink }}" hreflang="{{ .Lang }}">{{ .Language.LanguageName }}</a>{{ end }}</nav>
</header>
<main>{{ block "main" . }}{{ end }}</main>
</body>
</html>
"""

CARD = """<article class="card"><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<p class="meta">{{ with .Params.issue }}No. {{ . }} {{ end }}<time>{{ .Date.Format "2006-01-02" }}</time> {{ .ReadingTime }} min</p>
<p class="summary">{{ .Summary | plainify | truncate 160 }}</p>
<ul class="tags">{{ range .Params.tags }}<li><a href="{{ "tags/" | relLangURL }}{{ . | urlize }}/">#{{ . }}</a></li>{{ end }}</ul>
</article>
"""

SINGLE = """{{ define "main" }}<article class="post">
<h1>{{ .Title }}</h1>
<p class="meta">{{ .Params.author }} <time>{{ .Date.Format "2006-01-02 15:04" }}</time> {{ .ReadingTime }} min</p>
<div class="content">{{ .Content }}</div>
<ul class="tags">{{ range .Params.tags }}<li><a href="{{ "tags/" | relLangURL }}{{ . | urlize }}/">#{{ . }}</a></li>{{ end }}</ul>
</article>{{ end }}
"""

INDEX = """{{ define "main" }}{{ $p := .Paginate (where .Site.RegularPages "Section" "posts") }}
<div class="cards">{{ range $p.Pages }}{{ partial "card.html" . }}{{ end }}</div>
{{ template "_internal/pagination.html" . }}{{ end }}
"""

ARCHIVE = """{{ define "main" }}<h1>{{ .Title }}</h1>
{{ range .Pages.GroupByDate "2006" }}<section><h2>{{ .Key }}</h2><ol>
{{ range .Pages }}<li><time>{{ .Date.Format "01-02" }}</time> {{ with .Params.issue }}No. {{ . }}{{ end }} <a href="{{ .RelPermalink }}">{{ .Title }}</a></li>
{{ end }}</ol></section>{{ end }}{{ end }}
"""

TERM = """{{ define "main" }}<h1>#{{ .Title }}</h1>
<div class="cards">{{ range .Pages }}{{ partial "card.html" . }}{{ end }}</div>{{ end }}
"""

TERMS = """{{ define "main" }}<h1>{{ .Title }}</h1><ul>
{{ range .Data.Terms.Alphabetical }}<li><a href="{{ .Page.RelPermalink }}">#{{ .Page.Title }}</a> {{ .Count }}</li>
{{ end }}</ul>{{ end }}
"""

LIST = """{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}
"""

DATE_RE = re.compile(r"^date: (\d{4}-\d\d-\d\d) (\d\d:\d\d)$", re.M)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    src, dst = sys.argv[1], sys.argv[2]
    if os.path.exists(dst):
        if not os.path.exists(os.path.join(dst, ".bench-hugo")):
            sys.exit(f"{dst} exists and was not written by bench_hugo.py")
        shutil.rmtree(dst)
    write(os.path.join(dst, ".bench-hugo"), "")
    write(os.path.join(dst, "hugo.toml"), CONFIG)
    layouts = os.path.join(dst, "layouts")
    write(os.path.join(layouts, "_default/baseof.html"), BASEOF)
    write(os.path.join(layouts, "_default/single.html"), SINGLE)
    write(os.path.join(layouts, "_default/list.html"), LIST)
    write(os.path.join(layouts, "_default/term.html"), TERM)
    write(os.path.join(layouts, "_default/terms.html"), TERMS)
    write(os.path.join(layouts, "posts/list.html"), ARCHIVE)
    write(os.path.join(layouts, "index.html"), INDEX)
    write(os.path.join(layouts, "partials/card.html"), CARD)
    write(os.path.join(dst, "static/style.css"), "body{font-family:sans-serif}\n")
    count = 0
    for section in ("posts", "pages"):
        d = os.path.join(src, "content", section)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if not name.endswith(".md"):
                continue
            with open(os.path.join(d, name), encoding="utf-8") as f:
                text = f.read()
            text = DATE_RE.sub(r"date: \1T\2:00+08:00", text, count=1)
            write(os.path.join(dst, "content", section, name), text)
            count += 1
    print(f"wrote a Hugo site of {count} content files into {dst}")


if __name__ == "__main__":
    main()
