// gen default theme: search over the index gen builds at build time (see
// src/render/search.rs for the format). No server, no external requests:
// index files are fetched from the site itself, only the shards a query needs.
// Queries are tokenized exactly as the index was: CJK text as overlapping
// bigrams (a lone CJK character matches every token it starts), other text as
// lowercased words matched by prefix; every term must match; title and tag
// hits weigh more; results show a snippet with the matches highlighted.
(function () {
  "use strict";
  var list = document.getElementById("search-results");
  if (!list || !window.fetch) return;
  var input = document.getElementById("search-input");
  var status = document.getElementById("search-status");
  var indexUrl = list.getAttribute("data-index");
  var dir = indexUrl.replace(/[^\/]*$/, "");
  var more = document.getElementById("search-more");
  var PAGE = 10;
  var ALNUM = /[\p{Alphabetic}\p{N}]/u;
  var cache = {};

  function getJSON(url) {
    if (!cache[url]) {
      cache[url] = fetch(url).then(function (r) {
        if (!r.ok) throw new Error(url + ": " + r.status);
        return r.json();
      });
    }
    return cache[url];
  }

  function isCjk(c) {
    return (c >= 0x2E80 && c <= 0x2FDF) || (c >= 0x3040 && c <= 0x30FF) || (c >= 0x3100 && c <= 0x312F) ||
      (c >= 0x31A0 && c <= 0x31FF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
      (c >= 0xAC00 && c <= 0xD7AF) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x3134F);
  }

  // Runs of CJK characters and of letters/digits, as in search.rs.
  function runs(text) {
    var out = [], cjk = [], word = "";
    for (var ch of text) {
      var c = ch.codePointAt(0);
      if (c >= 0xFF01 && c <= 0xFF5E) { c -= 0xFEE0; ch = String.fromCodePoint(c); }
      if (isCjk(c)) {
        if (word) { out.push({ word: word }); word = ""; }
        cjk.push(ch);
      } else {
        if (cjk.length) { out.push({ cjk: cjk }); cjk = []; }
        if (ALNUM.test(ch)) word += ch.toLowerCase();
        else if (word) { out.push({ word: word }); word = ""; }
      }
    }
    if (word) out.push({ word: word });
    if (cjk.length) out.push({ cjk: cjk });
    return out;
  }

  function queryTerms(query) {
    var terms = [], seen = {};
    function add(token, prefix) {
      if (!seen[token]) { seen[token] = true; terms.push({ token: token, prefix: prefix }); }
    }
    runs(query).forEach(function (r) {
      if (r.word !== undefined) add(r.word, Array.from(r.word).length >= 2);
      else if (r.cjk.length === 1) add(r.cjk[0], true);
      else for (var i = 0; i + 1 < r.cjk.length; i++) add(r.cjk[i] + r.cjk[i + 1], false);
    });
    return terms;
  }

  // What to highlight: whole words and CJK runs, then their bigrams and characters.
  function highlightTerms(query) {
    var terms = [];
    runs(query).forEach(function (r) {
      if (r.word !== undefined) terms.push(r.word);
      else {
        terms.push(r.cjk.join(""));
        for (var i = 0; i + 1 < r.cjk.length; i++) terms.push(r.cjk[i] + r.cjk[i + 1]);
      }
    });
    return terms.sort(function (a, b) { return b.length - a.length; });
  }

  function shardKey(token) {
    var chars = Array.from(token);
    return isCjk(chars[0].codePointAt(0)) ? chars[0] : chars.slice(0, 2).join("");
  }

  // FNV-1a over UTF-16 code units, as fnv1a_utf16 in search.rs.
  function fnv1a(s) {
    var h = 0x811c9dc5;
    for (var i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h;
  }

  function shard(meta, k) {
    if (meta.index) return Promise.resolve(meta.index);
    return getJSON(dir + "shard-" + k + ".json");
  }

  function docs(meta, n) {
    if (meta.docs) return Promise.resolve(meta.docs[n]);
    var k = Math.floor(n / meta.chunk);
    return getJSON(dir + "docs-" + k + ".json").then(function (chunk) { return chunk[n - k * meta.chunk]; });
  }

  // Post number -> score for one term.
  function termScores(part, term) {
    var scores = new Map();
    var keys = term.prefix ? Object.keys(part).filter(function (k) { return k.startsWith(term.token); })
      : (Object.prototype.hasOwnProperty.call(part, term.token) ? [term.token] : []);
    keys.forEach(function (key) {
      var flat = part[key], post = 0, weight = key === term.token ? 2 : 1;
      for (var i = 0; i + 1 < flat.length; i += 2) {
        post += flat[i];
        scores.set(post, (scores.get(post) || 0) + flat[i + 1] * weight);
      }
    });
    return scores;
  }

  function search(meta, query) {
    var terms = queryTerms(query);
    if (!terms.length) return Promise.resolve([]);
    return Promise.all(terms.map(function (t) {
      return shard(meta, fnv1a(shardKey(t.token)) % meta.shards).then(function (part) { return termScores(part, t); });
    })).then(function (all) {
      var total = all[0];
      for (var i = 1; i < all.length; i++) {
        var next = new Map();
        total.forEach(function (s, p) { if (all[i].has(p)) next.set(p, s + all[i].get(p)); });
        total = next;
      }
      var hits = Array.from(total.entries());
      hits.sort(function (a, b) { return b[1] - a[1] || a[0] - b[0]; });
      return hits;
    });
  }

  function escapeHtml(s) {
    return s.replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c];
    });
  }

  function termRegex(terms) {
    if (!terms.length) return null;
    return new RegExp("(" + terms.map(function (t) { return t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }).join("|") + ")", "giu");
  }

  function highlight(text, re) {
    if (!re) return escapeHtml(text);
    return text.split(re).map(function (part, i) {
      return i % 2 ? "<mark>" + escapeHtml(part) + "</mark>" : escapeHtml(part);
    }).join("");
  }

  function snippet(text, summary, re) {
    if (!re) return summary;
    re.lastIndex = 0;
    var m = re.exec(text);
    re.lastIndex = 0;
    if (!m) return summary;
    var chars = Array.from(text.slice(0, m.index));
    var start = Math.max(0, chars.length - 40);
    var before = chars.slice(start).join("");
    var after = Array.from(text.slice(m.index)).slice(0, 120).join("");
    return (start > 0 ? "…" : "") + before + after + (text.length > m.index + after.length ? "…" : "");
  }

  // The current results, shown PAGE at a time: post texts are fetched only for those.
  var current = null;

  function show(query, meta, hits) {
    list.textContent = "";
    current = { meta: meta, hits: hits, shown: 0, re: termRegex(highlightTerms(query)) };
    if (more) more.hidden = true;
    if (!query.trim()) { status.textContent = ""; return Promise.resolve(); }
    if (!hits.length) { status.textContent = list.getAttribute("data-no-results"); return Promise.resolve(); }
    status.textContent = list.getAttribute("data-found").replace("{n}", String(hits.length));
    return showMore();
  }

  function showMore() {
    var c = current;
    var page = c.hits.slice(c.shown, c.shown + PAGE);
    c.shown += page.length;
    var re = c.re, meta = c.meta;
    return Promise.all(page.map(function (h) { return docs(meta, h[0]); })).then(function (found) {
      if (c !== current) return;
      found.forEach(function (d) {
        if (!d) return;
        var li = document.createElement("li");
        li.className = "search-result";
        var h2 = document.createElement("h2");
        var a = document.createElement("a");
        a.href = d[0];
        a.innerHTML = highlight(d[1], re);
        h2.appendChild(a);
        li.appendChild(h2);
        if (d[2]) {
          var date = document.createElement("p");
          date.className = "meta";
          var time = document.createElement("time");
          time.dateTime = d[2];
          time.textContent = d[2];
          date.appendChild(time);
          li.appendChild(date);
        }
        var p = document.createElement("p");
        p.className = "snippet";
        p.innerHTML = highlight(snippet(d[4] || "", d[3] || "", re), re);
        li.appendChild(p);
        list.appendChild(li);
      });
      if (more) more.hidden = c.shown >= c.hits.length;
    });
  }

  if (more) {
    more.addEventListener("click", function () { if (current) showMore(); });
  }

  var pending = 0;
  function run(query) {
    var ticket = ++pending;
    return getJSON(indexUrl).then(function (meta) {
      return search(meta, query).then(function (hits) {
        if (ticket === pending) return show(query, meta, hits);
      });
    }).catch(function (err) {
      status.textContent = String(err && err.message || err);
    });
  }

  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var q = input.value;
      if (window.history && history.replaceState) {
        var url = new URL(window.location.href);
        if (q) url.searchParams.set("q", q); else url.searchParams.delete("q");
        history.replaceState(null, "", url.toString());
      }
      run(q);
    }, 150);
  });
  var initial = new URLSearchParams(window.location.search).get("q") || "";
  if (initial) {
    input.value = initial;
    run(initial);
  }
})();
