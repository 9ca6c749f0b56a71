// gen default theme: the original / translation / both switch of bilingual
// blocks, remembered across pages. Without JavaScript readers see both.
(function () {
  "use strict";
  var KEY = "gen-bilingual";
  var root = document.documentElement;
  function stored() {
    try { return localStorage.getItem(KEY); } catch (e) { return null; }
  }
  function apply(mode) {
    if (mode !== "original" && mode !== "translation") mode = "both";
    root.setAttribute("data-bilingual", mode);
    var buttons = document.querySelectorAll(".bilingual-toggle button");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute("aria-pressed", buttons[i].getAttribute("data-mode") === mode ? "true" : "false");
    }
    return mode;
  }
  function init() {
    var toggles = document.querySelectorAll(".bilingual-toggle");
    for (var i = 0; i < toggles.length; i++) {
      toggles[i].hidden = false;
      toggles[i].addEventListener("click", function (ev) {
        var b = ev.target.closest("button[data-mode]");
        if (!b) return;
        var mode = apply(b.getAttribute("data-mode"));
        try { localStorage.setItem(KEY, mode); } catch (e) { /* private mode */ }
      });
    }
    apply(stored());
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
