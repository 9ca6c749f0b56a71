//! The sample post in a real headless Chromium: the bilingual switch changes
//! what is visible and is remembered, pairs sit side by side on a wide screen
//! and stack on a 390 px phone, and nothing overflows the phone's width.
//! Also takes the README screenshots (kept in docs/ with GEN_UPDATE_SCREENSHOTS=1).

mod common;

use std::fs;

const POST: &str = "/letter/posts/gpt-5-not-training/";

/// A page served beside the site that loads the post in frames and reports.
const HARNESS: &str = r#"<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>harness</title></head><body>
<pre id="result">pending</pre>
<iframe id="wide" src="POST" style="width:1280px;height:1500px"></iframe>
<iframe id="phone" src="POST" style="width:390px;height:1500px"></iframe>
<script>
function visible(el) { return !!el && el.ownerDocument.defaultView.getComputedStyle(el).display !== "none" && el.getClientRects().length > 0; }
function report(r) { document.getElementById("result").textContent = JSON.stringify(r); }
window.addEventListener("load", function () {
  var r = {};
  try {
    var w = document.getElementById("wide").contentDocument;
    var p = document.getElementById("phone").contentDocument;
    var toggle = w.querySelector(".bilingual-toggle");
    r.toggle_shown = !!toggle && !toggle.hidden;
    var pair = w.querySelector(".bilingual .pair");
    var o = pair.querySelector(".original"), t = pair.querySelector(".translation");
    var ob = o.getBoundingClientRect(), tb = t.getBoundingClientRect();
    r.wide_side_by_side = tb.left > ob.right - 1 && Math.abs(tb.top - ob.top) < 2;
    var po = p.querySelector(".bilingual .pair .original").getBoundingClientRect();
    var pt = p.querySelector(".bilingual .pair .translation").getBoundingClientRect();
    r.phone_stacked = Math.abs(po.left - pt.left) < 2 && pt.top >= po.bottom - 1;
    r.phone_no_overflow = p.documentElement.scrollWidth <= 390;
    r.both_initially = visible(o) && visible(t);
    toggle.querySelector('[data-mode="original"]').click();
    r.original_only = visible(o) && !visible(t);
    toggle.querySelector('[data-mode="translation"]').click();
    r.translation_only = !visible(o) && visible(t);
    r.pressed = toggle.querySelector('[data-mode="translation"]').getAttribute("aria-pressed");
    r.stored = w.defaultView.localStorage.getItem("gen-bilingual");
    var again = document.createElement("iframe");
    again.style.width = "1280px";
    again.onload = function () {
      var d = again.contentDocument;
      r.remembered = !visible(d.querySelector(".bilingual .original")) && visible(d.querySelector(".bilingual .translation"));
      toggle.querySelector('[data-mode="both"]').click();
      r.both_again = visible(o) && visible(t);
      report(r);
    };
    again.src = "POST";
    document.body.appendChild(again);
  } catch (e) { r.error = String(e); report(r); }
});
</script></body></html>"#;

#[test]
fn bilingual_switch_and_layout_in_chromium() {
    let Some(chrome) = common::chromium() else { return };
    let out = tempfile::tempdir().unwrap();
    common::build_site(&common::repo(), out.path(), &[]);
    fs::write(out.path().join("__harness.html"), HARNESS.replace("POST", POST)).unwrap();
    let port = common::serve_dir(out.path().to_path_buf(), "/letter");

    let dom = common::chromium_run(
        &chrome,
        &["--virtual-time-budget=15000".into(), "--dump-dom".into(), format!("http://127.0.0.1:{port}/letter/__harness.html")],
    );
    let start = dom.find("<pre id=\"result\">").expect("harness result in DOM") + "<pre id=\"result\">".len();
    let json = &dom[start..start + dom[start..].find("</pre>").unwrap()];
    let r: serde_json::Value = serde_json::from_str(&json.replace("&quot;", "\"")).unwrap_or_else(|e| panic!("{e}: {json}"));
    eprintln!("browser report: {r}");
    for key in [
        "toggle_shown",
        "wide_side_by_side",
        "phone_stacked",
        "phone_no_overflow",
        "both_initially",
        "original_only",
        "translation_only",
        "remembered",
        "both_again",
    ] {
        assert_eq!(r[key], true, "{key} in {r}");
    }
    assert_eq!(r["pressed"], "true");
    assert_eq!(r["stored"], "translation");

    // Screenshots of the sample post for the README: desktop and phone.
    let shots = common::repo().join("target/screenshots");
    fs::create_dir_all(&shots).unwrap();
    for (name, size) in [("desktop", "1280,2200"), ("phone", "390,2400")] {
        let file = shots.join(format!("sample-post-{name}.png"));
        common::chromium_run(
            &chrome,
            &[
                format!("--window-size={size}"),
                "--virtual-time-budget=3000".into(),
                format!("--screenshot={}", file.display()),
                format!("http://127.0.0.1:{port}{POST}"),
            ],
        );
        assert!(fs::metadata(&file).map(|m| m.len() > 10_000).unwrap_or(false), "screenshot {name} was not taken");
        if std::env::var_os("GEN_UPDATE_SCREENSHOTS").is_some() {
            fs::copy(&file, common::repo().join(format!("docs/sample-post-{name}.png"))).unwrap();
        }
    }
}

#[test]
fn without_javascript_both_languages_show() {
    let out = tempfile::tempdir().unwrap();
    common::build_site(&common::repo(), out.path(), &[]);
    let html = fs::read_to_string(out.path().join("posts/gpt-5-not-training/index.html")).unwrap();
    // The switch is hidden until the script shows it; no mode is set in the markup.
    assert!(html.contains("<div class=\"bilingual-toggle\" role=\"group\" aria-label=\"双语显示\" hidden>"));
    assert!(!html.contains("data-bilingual="));
    let css = fs::read_to_string(out.path().join("style.css")).unwrap();
    assert!(css.contains("[data-bilingual=\"original\"] .bilingual .translation { display: none; }"));
}
