// gen serve: live reload and the build-error overlay.
// Added to pages only while serving; never written to public/.
(() => {
  "use strict";
  const me = document.currentScript;
  let version = me ? me.dataset.version : "";
  // This page's file in the output (`posts/hello/index.html`); none on a 404.
  const file = me ? me.dataset.file : undefined;
  const OVERLAY = "__gen-overlay";

  // `failed`: the latest build failed and the pages are the last good ones;
  // otherwise the pages are current and `errors` are the local references
  // they have broken, which `gen build` stops on.
  function showErrors(errors, failed) {
    let box = document.getElementById(OVERLAY);
    if (!errors || errors.length === 0) {
      if (box) box.remove();
      return;
    }
    if (!box) {
      box = document.createElement("div");
      box.id = OVERLAY;
      box.setAttribute("role", "alert");
      box.style.cssText =
        "position:fixed;inset:0;z-index:2147483647;overflow:auto;margin:0;padding:2rem;" +
        "background:rgba(24,24,27,.94);color:#fafafa;font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;";
      (document.body || document.documentElement).appendChild(box);
    }
    box.textContent = "";
    const head = document.createElement("p");
    head.style.cssText = "margin:0 0 1rem;font-weight:bold;color:#fca5a5;";
    const n = errors.length;
    head.textContent = "gen: the site has " + n + " error" + (n === 1 ? "" : "s") +
      (failed ? "; the last good version is shown until it is fixed."
              : "; the pages show the latest changes, and gen build fails until it is fixed.");
    const close = document.createElement("button");
    close.textContent = "×";
    close.title = "Hide (comes back on the next failed build)";
    close.style.cssText = "float:right;font-size:1.5rem;background:none;border:0;color:inherit;cursor:pointer;";
    close.onclick = () => box.remove();
    box.append(close, head);
    for (const e of errors) {
      const pre = document.createElement("pre");
      pre.className = "__gen-error";
      pre.style.cssText = "white-space:pre-wrap;margin:0 0 1rem;padding:1rem;background:#27272a;border-left:4px solid #f87171;";
      pre.textContent = e.text;
      box.append(pre);
    }
  }

  function swapStylesheets() {
    for (const link of document.querySelectorAll('link[rel~="stylesheet"]')) {
      const url = new URL(link.href, location.href);
      url.searchParams.set("__gen", Date.now().toString());
      const fresh = link.cloneNode();
      fresh.href = url.toString();
      fresh.onload = fresh.onerror = () => link.remove();
      link.after(fresh);
    }
  }

  const initial = document.getElementById("__gen-errors");
  if (initial) {
    const d = JSON.parse(initial.textContent);
    showErrors(d.errors, d.failed);
  }

  const events = new EventSource("/__gen/events");
  events.addEventListener("hello", (ev) => {
    const d = JSON.parse(ev.data);
    if (d.version !== version) location.reload();
    else showErrors(d.errors, d.failed);
  });
  // Whether a rebuild that changed `changed` (paths in the output) changed
  // what this page shows: its own file, or anything but other pages, feeds,
  // text editions and data (an image, a script, a font, a stylesheet).
  function affected(changed) {
    if (!file || !Array.isArray(changed)) return true;
    return changed.some((p) => p === file || !/\.(html|xml|txt|json)$/i.test(p));
  }

  events.addEventListener("reload", (ev) => {
    const d = JSON.parse(ev.data);
    if (affected(d.changed)) location.reload();
    else {
      version = d.version;
      showErrors(d.errors, false);
    }
  });
  events.addEventListener("css", (ev) => {
    const d = JSON.parse(ev.data);
    version = d.version;
    showErrors(d.errors, false);
    swapStylesheets();
  });
  events.addEventListener("errors", (ev) => {
    const d = JSON.parse(ev.data);
    showErrors(d.errors, d.failed);
  });
  window.addEventListener("pagehide", () => events.close());
})();
