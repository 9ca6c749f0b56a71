#!/usr/bin/env python3
"""A synthetic Chinese weekly for the search benchmark (scripts/bench_search.py): few long issues
with a wide vocabulary, the shape where the index costs the most against the rest of a build.

Usage: zh_weekly_corpus.py N DIR   (N issues of ~8,000 characters each, deterministic)

Words of one to four characters are drawn (Zipf-like) from a fixed lexicon of 30,000 made of
3,500 characters of the CJK Unified Ideographs block, with a few English words, identifiers
and links; each issue has sections under `##` headings and one to three tags.
"""

import os
import random
import sys


def main():
    n, root = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(15)
    chars = [chr(c) for c in rng.sample(range(0x4E00, 0x9FA6), 3500)]
    # Characters are drawn Zipf-like too: a few are very common, as in real text.
    char_weights = [1 / (i + 1) for i in range(len(chars))]
    lexicon = []
    for _ in range(30000):
        size = rng.choice([1, 2, 2, 2, 2, 3, 3, 4])
        lexicon.append("".join(rng.choices(chars, char_weights, k=size)))
    weights = [1 / (i + 1) ** 0.9 for i in range(len(lexicon))]
    latin = ["OpenAI", "GPT-5", "Claude", "tokio_with_wasm", "Rust", "agent", "benchmark", "RAG", "LoRA", "v1.2", "CUDA", "PyTorch"]
    tags = ["模型", "开源", "芯片", "安全", "应用", "融资", "研究", "产品"]
    posts = os.path.join(root, "content", "posts")
    os.makedirs(posts, exist_ok=True)
    with open(os.path.join(root, "config.yaml"), "w", encoding="utf-8") as f:
        f.write("title: 周刊\ndescription: 一份中文周刊\nbase_url: https://example.com/weekly/\nlanguages: [zh]\n"
                "timezone: \"+08:00\"\nauthor: 编辑部\nsearch: true\nemail: false\n")

    def sentence():
        words = rng.choices(lexicon, weights, k=rng.randint(6, 18))
        if rng.random() < 0.3:
            words.insert(rng.randrange(len(words)), " " + rng.choice(latin) + " ")
        if rng.random() < 0.05:
            words.append(f" https://example.org/{rng.choice(latin).lower()}/{rng.randint(1, 999)} ")
        return "".join(words) + rng.choice("，，。。；！？")

    for i in range(n):
        day = i * 7
        date = f"{2018 + day // 365:04d}-{(day % 365) // 31 % 12 + 1:02d}-{(day % 31) % 28 + 1:02d}"
        title = "".join(rng.choices(lexicon, weights[:2000] + [0] * (len(lexicon) - 2000), k=4))
        body = []
        for s in range(rng.randint(4, 7)):
            body.append(f"## {''.join(rng.choices(lexicon, weights, k=3))}\n")
            for _ in range(rng.randint(3, 6)):
                body.append("".join(sentence() for _ in range(rng.randint(4, 9))) + "\n")
        tag_list = ", ".join(rng.sample(tags, rng.randint(1, 3)))
        with open(os.path.join(posts, f"{date}-issue-{i + 1}.md"), "w", encoding="utf-8") as f:
            f.write(f"---\ntitle: 第{i + 1}期：{title}\ndate: {date}\ntags: [{tag_list}]\n---\n\n" + "\n".join(body))


if __name__ == "__main__":
    main()
