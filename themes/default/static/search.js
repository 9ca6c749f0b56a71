// gen default theme: search over the index gen builds at build time (see
// src/render/search/ for the format). No server, no external requests:
// index files are fetched from the site itself, only the shards a query needs.
// Queries are cut into terms by the rules of src/render/search/tokens.rs
// (tests/search/contract.json holds cases both must pass, run by
// tests/search_contract.rs): characters folded (fullwidth to ASCII,
// Traditional to Simplified with the table the build ships), CJK text as
// bigrams, other text as lowercased words matched by prefix, compounds
// (`tokio_with_wasm`) and phrases (two words with only spaces between) whole
// as well; every required term must match; title,
// heading and tag hits weigh more; results show a snippet with the matches
// highlighted. Loaded by Node (module.exports), it is that core alone.
(function () {
  "use strict";
  var ALNUM = /[\p{Alphabetic}\p{N}]/u;
  var JOINER = /^[_\-.\/:@]$/;
  var SPACE = /^[ \t\n\r\u00a0]$/;
  var MAX_WORD = 40, MAX_COMPOUND = 80;

  function isCjk(c) {
    return (c >= 0x2E80 && c <= 0x2FDF) || (c >= 0x3040 && c <= 0x30FF) || (c >= 0x3100 && c <= 0x312F) ||
      (c >= 0x31A0 && c <= 0x31FF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
      (c >= 0xAC00 && c <= 0xD7AF) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x3134F);
  }

  // The Traditional -> Simplified table from its pairs string ("開开關关…").
  function foldTable(pairs) {
    var table = new Map(), chars = Array.from(pairs || "");
    for (var i = 0; i + 1 < chars.length; i += 2) table.set(chars[i], chars[i + 1]);
    return table;
  }

  // One character folded: the same length in UTF-16 as the original.
  function foldChar(ch, table) {
    var c = ch.codePointAt(0);
    if (c >= 0xFF01 && c <= 0xFF5E) return String.fromCharCode(c - 0xFEE0);
    return (table && table.get(ch)) || ch;
  }

  function foldText(text, table) {
    var out = "";
    for (var ch of text) out += foldChar(ch, table);
    return out;
  }

  function len(s) { return Array.from(s).length; }

  // Runs of CJK characters ({cjk: [chars]}) and compounds of words
  // ({whole: "a_b", parts: ["a", "b"], after: whether only spaces stand
  // between it and the run of words before it}), as for_each_run in tokens.rs.
  function runs(text, table) {
    var out = [], cjk = [], whole = "", parts = [], word = "", joiners = "";
    var spaced = false, after = false;
    function endWord() {
      if (word) { whole += joiners + word; parts.push(word); word = ""; joiners = ""; }
    }
    // Whether a run of words ended here without a dangling joiner.
    function flushWords() {
      endWord();
      var ended = parts.length > 0 && !joiners;
      if (parts.length) out.push({ whole: whole, parts: parts, after: after });
      whole = ""; parts = []; joiners = "";
      return ended;
    }
    for (var raw of text) {
      var ch = foldChar(raw, table);
      if (isCjk(ch.codePointAt(0))) { flushWords(); spaced = false; cjk.push(ch); continue; }
      if (cjk.length) { out.push({ cjk: cjk }); cjk = []; }
      if (ALNUM.test(ch)) {
        if (!word && !parts.length) after = spaced;
        word += ch.toLowerCase();
      } else if (JOINER.test(ch) && (word || joiners)) {
        endWord();
        joiners += ch;
      } else {
        var ended = flushWords();
        spaced = SPACE.test(ch) && (ended || spaced);
      }
    }
    flushWords();
    if (cjk.length) out.push({ cjk: cjk });
    return out;
  }

  // The phrase of the previous run's last word and this run's first word,
  // when only spaces stand between them and both are indexed words (phrase_of).
  function phraseOf(last, r) {
    var first = r.parts[0];
    return r.after && last && len(last) <= MAX_WORD && len(first) <= MAX_WORD ? last + " " + first : null;
  }

  // Every index token of a text, in order (what index_tokens in Rust gives).
  function indexTokens(text, table) {
    var out = [], last = "";
    runs(text, table).forEach(function (r) {
      if (r.cjk) {
        last = "";
        for (var i = 0; i < r.cjk.length; i++) {
          out.push(r.cjk[i]);
          if (i + 1 < r.cjk.length) out.push(r.cjk[i] + r.cjk[i + 1]);
        }
      } else {
        var phrase = phraseOf(last, r);
        if (phrase) out.push(phrase);
        last = r.parts[r.parts.length - 1];
        r.parts.forEach(function (p) { if (len(p) <= MAX_WORD) out.push(p); });
        if (r.parts.length > 1 && len(r.whole) <= MAX_COMPOUND) out.push(r.whole);
      }
    });
    return out;
  }

  // The terms of a query, required ones first, without repeats (query_terms in Rust).
  function queryTerms(query, table) {
    var required = [], bonus = [], lastCjk = null, last = "";
    runs(query, table).forEach(function (r) {
      if (r.cjk) {
        last = "";
        if (lastCjk) bonus.push({ token: lastCjk + r.cjk[0], prefix: false, required: false });
        if (r.cjk.length === 1) required.push({ token: r.cjk[0], prefix: false, required: true });
        else for (var i = 0; i + 1 < r.cjk.length; i++) required.push({ token: r.cjk[i] + r.cjk[i + 1], prefix: false, required: true });
        lastCjk = r.cjk[r.cjk.length - 1];
      } else {
        var phrase = phraseOf(last, r);
        if (phrase) bonus.push({ token: phrase, prefix: false, required: false });
        last = r.parts[r.parts.length - 1];
        r.parts.forEach(function (p) { required.push({ token: p, prefix: len(p) >= 2, required: true }); });
        if (r.parts.length > 1) bonus.push({ token: r.whole, prefix: false, required: false });
        lastCjk = null;
      }
    });
    var seen = {};
    return required.concat(bonus).filter(function (t) {
      if (seen[t.token]) return false;
      seen[t.token] = true;
      return true;
    });
  }

  // What to highlight: whole compounds and CJK runs, then their words and bigrams.
  function highlightTerms(query, table) {
    var terms = [];
    runs(query, table).forEach(function (r) {
      if (r.cjk) {
        terms.push(r.cjk.join(""));
        for (var i = 0; i + 1 < r.cjk.length; i++) terms.push(r.cjk[i] + r.cjk[i + 1]);
      } else terms = terms.concat([r.whole], r.parts);
    });
    return terms.sort(function (a, b) { return b.length - a.length; });
  }

  function shardKey(token) {
    var chars = Array.from(token);
    return isCjk(chars[0].codePointAt(0)) || /[_\-.\/: @]/.test(token) ? token : chars.slice(0, 2).join("");
  }

  // FNV-1a over UTF-16 code units, as fnv1a_utf16 in tokens.rs.
  function fnv1a(s) {
    var h = 0x811c9dc5;
    for (var i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h;
  }

  // A shard (postings.rs): [{token, start, end}] over its bytes.
  function readVarint(bytes, at) {
    var v = 0, mul = 1, b;
    do {
      if (at.i >= bytes.length) throw new Error("search index cut short");
      b = bytes[at.i++];
      v += (b & 0x7F) * mul;
      mul *= 128;
    } while (b >= 0x80);
    return v;
  }

  var utf8 = new TextDecoder();
  function parseShard(bytes) {
    var at = { i: 0 }, n = readVarint(bytes, at), tokens = [];
    for (var k = 0; k < n; k++) {
      var l = readVarint(bytes, at);
      var token = utf8.decode(bytes.subarray(at.i, at.i + l));
      at.i += l;
      l = readVarint(bytes, at);
      tokens.push({ token: token, start: at.i, end: at.i + l });
      at.i += l;
    }
    return { bytes: bytes, tokens: tokens };
  }

  // Post number -> score of one term: the best of the tokens it matches, twice for itself.
  // Each post's score for `term` in `shard`; a phrase's weighs `phrase`
  // (index.json's, PHRASE in src/render/search/mod.rs) times a word's.
  function termScores(shard, term, phrase) {
    var scores = new Map();
    shard.tokens.forEach(function (t) {
      if (t.token !== term.token && !(term.prefix && t.token.startsWith(term.token))) return;
      var weight = (t.token === term.token ? 2 : 1) * (term.token.indexOf(" ") >= 0 ? phrase || 1 : 1), at = { i: t.start }, post = 0;
      while (at.i < t.end) {
        var v = readVarint(shard.bytes, at);
        post += Math.floor(v / 4);
        var s = v % 4 === 3 ? readVarint(shard.bytes, at) : v % 4 + 1;
        scores.set(post, Math.max(scores.get(post) || 0, s * weight));
      }
    });
    return scores;
  }

  // The hits of `query`: [[post, score], …] best first. `io.shard(k)` gives
  // shard k parsed, `io.fold()` the table; both as promises.
  function search(meta, query, io) {
    var needFold = meta.fold && /[^\x00-\x7F]/.test(query);
    return (needFold ? io.fold() : Promise.resolve(null)).then(function (table) {
      var terms = queryTerms(query, table);
      var required = terms.filter(function (t) { return t.required; });
      if (!required.length) return { hits: [], table: table };
      return Promise.all(terms.map(function (t) {
        return io.shard(fnv1a(shardKey(t.token)) % meta.shards).then(function (shard) { return termScores(shard, t, meta.phrase); });
      })).then(function (all) {
        var total = null;
        terms.forEach(function (t, i) {
          if (!t.required) return;
          if (!total) { total = all[i]; return; }
          var next = new Map();
          total.forEach(function (s, p) { if (all[i].has(p)) next.set(p, s + all[i].get(p)); });
          total = next;
        });
        terms.forEach(function (t, i) {
          if (t.required) return;
          total.forEach(function (s, p) { total.set(p, s + (all[i].get(p) || 0)); });
        });
        var hits = Array.from(total.entries());
        hits.sort(function (a, b) { return b[1] - a[1] || a[0] - b[0]; });
        return { hits: hits, table: table };
      });
    });
  }

  function base64Bytes(s) {
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  var core = {
    foldTable: foldTable, foldText: foldText, indexTokens: indexTokens, queryTerms: queryTerms, shardKey: shardKey,
    parseShard: parseShard, search: search, base64Bytes: base64Bytes,
  };
  if (typeof module === "object" && module.exports) {
    module.exports = core;
    return;
  }

  // ---------------------------------------------------------------- the page
  var list = document.getElementById("search-results");
  if (!list || !window.fetch) return;
  var input = document.getElementById("search-input");
  var status = document.getElementById("search-status");
  var indexUrl = list.getAttribute("data-index");
  var dir = indexUrl.replace(/[^\/]*$/, "");
  var more = document.getElementById("search-more");
  var PAGE = 10;
  var cache = {};

  function get(url, kind) {
    if (!cache[url]) {
      cache[url] = fetch(url).then(function (r) {
        if (!r.ok) throw new Error(url + ": " + r.status);
        return kind === "bin" ? r.arrayBuffer().then(function (b) { return new Uint8Array(b); }) : r.json();
      });
    }
    return cache[url];
  }

  function io(meta) {
    var inlineShard = null;
    return {
      shard: function (k) {
        if (meta.index) return Promise.resolve(inlineShard || (inlineShard = parseShard(base64Bytes(meta.index))));
        var url = dir + "shard-" + k + ".bin";
        if (!cache[url + "#parsed"]) cache[url + "#parsed"] = get(url, "bin").then(parseShard);
        return cache[url + "#parsed"];
      },
      fold: function () {
        if (typeof meta.fold === "string") return Promise.resolve(foldTable(meta.fold));
        if (!cache["#fold"]) cache["#fold"] = get(dir + "fold.json").then(foldTable);
        return cache["#fold"];
      },
    };
  }

  function docs(meta, n) {
    if (meta.docs) return Promise.resolve(meta.docs[n]);
    var k = Math.floor(n / meta.chunk);
    return get(dir + "docs-" + k + ".json").then(function (chunk) { return chunk[n - k * meta.chunk]; });
  }

  function escapeHtml(s) {
    return s.replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c];
    });
  }

  function termRegex(terms) {
    terms = terms.filter(function (t) { return t; });
    if (!terms.length) return null;
    return new RegExp("(" + terms.map(function (t) { return t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }).join("|") + ")", "giu");
  }

  // The matches are found in the folded text (as long in UTF-16) and marked in the original.
  function highlight(text, re, table) {
    if (!re) return escapeHtml(text);
    var folded = foldText(text, table), out = "", at = 0, m;
    re.lastIndex = 0;
    while ((m = re.exec(folded))) {
      if (!m[0].length) { re.lastIndex++; continue; }
      out += escapeHtml(text.slice(at, m.index)) + "<mark>" + escapeHtml(text.slice(m.index, m.index + m[0].length)) + "</mark>";
      at = m.index + m[0].length;
    }
    return out + escapeHtml(text.slice(at));
  }

  function snippet(text, summary, re, table) {
    if (!re) return summary;
    re.lastIndex = 0;
    var m = re.exec(foldText(text, table));
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

  function show(query, meta, found) {
    var hits = found.hits;
    list.textContent = "";
    current = { meta: meta, hits: hits, shown: 0, table: found.table, re: termRegex(highlightTerms(query, found.table)) };
    if (more) more.hidden = true;
    if (!query.trim()) { status.textContent = ""; return Promise.resolve(); }
    if (!hits.length) { status.textContent = list.getAttribute("data-no-results"); return Promise.resolve(); }
    status.textContent = hits.length === 1 ? list.getAttribute("data-found-one")
      : list.getAttribute("data-found").replace("{n}", String(hits.length));
    return showMore();
  }

  function showMore() {
    var c = current;
    var page = c.hits.slice(c.shown, c.shown + PAGE);
    c.shown += page.length;
    var re = c.re, meta = c.meta, table = c.table;
    return Promise.all(page.map(function (h) { return docs(meta, h[0]); })).then(function (found) {
      if (c !== current) return;
      found.forEach(function (d) {
        if (!d) return;
        var text = d[4] || "";
        var summary = typeof d[3] === "number" ? Array.from(text).slice(0, d[3]).join("") : d[3] || "";
        var li = document.createElement("li");
        li.className = "search-result";
        var h2 = document.createElement("h2");
        var a = document.createElement("a");
        a.href = d[0];
        a.innerHTML = highlight(d[1], re, table);
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
        p.innerHTML = highlight(snippet(text, summary, re, table), re, table);
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
    return get(indexUrl).then(function (meta) {
      return search(meta, query, io(meta)).then(function (found) {
        if (ticket === pending) return show(query, meta, found);
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
