// The reader's matrix: every page of a built site in headless Chromium at a
// desktop and a phone width, in the light and the dark colour scheme. Each
// view must not scroll sideways, must show the header above the main
// content, must have no serious or critical axe-core violation and must log
// no console error. Run by tests/reader.rs:
//
//   node matrix.cjs PLAN.json REPORT.json
//
// PLAN: {chromium, modules, base, shots, pages: [{name, path, bilingual?,
// wait?}], screenshots: [{name, page, width, scheme}]}. `modules` is the
// folder holding node_modules/puppeteer-core and node_modules/axe-core.
// REPORT: {views, failures: [{page, width, scheme, check, detail}]}.
"use strict";

const fs = require("fs");
const path = require("path");

const plan = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const need = (m) => require(path.join(plan.modules, "node_modules", m));
const puppeteer = need("puppeteer-core");
const axeSource = fs.readFileSync(path.join(plan.modules, "node_modules/axe-core/axe.min.js"), "utf8");

const WIDTHS = [1280, 390];
// The test runs offline: requests to other hosts (authors' images, embedded
// players) get an empty image instead of a network error.
const GIF = Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64");
const SCHEMES = ["light", "dark"];

async function check(page, view, failures) {
  const fail = (check, detail) => failures.push({ ...view, check, detail });
  const layout = await page.evaluate(() => {
    const doc = document.documentElement;
    const header = document.querySelector("body > header, .masthead");
    const main = document.querySelector("main, .content");
    const wide = [];
    const name = (el) => el.tagName.toLowerCase() + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "");
    if (doc.scrollWidth > doc.clientWidth) {
      // Name the widest elements, for the message.
      for (const el of document.body.querySelectorAll("*")) {
        const r = el.getBoundingClientRect();
        if (r.right > doc.clientWidth + 1 && wide.length < 5) {
          wide.push(`${name(el)} right=${Math.round(r.right)}`);
        }
      }
      // Text too wide for its box: the deepest element whose content overflows it.
      const deep = [...document.body.querySelectorAll("*")].filter((el) => el.scrollWidth > doc.clientWidth && ![...el.children].some((c) => c.scrollWidth > doc.clientWidth));
      for (const el of deep.slice(0, 3)) wide.push(`${name(el)} holds content ${el.scrollWidth} px wide: ${JSON.stringify(el.textContent.trim().slice(0, 80))}`);
    }
    return {
      scroll: doc.scrollWidth,
      client: doc.clientWidth,
      wide,
      header: header ? header.getBoundingClientRect().bottom : null,
      main: main ? main.getBoundingClientRect().top : null,
    };
  });
  if (layout.scroll > layout.client) fail("horizontal-scroll", `scrollWidth ${layout.scroll} > ${layout.client}: ${layout.wide.join(", ")}`);
  if (layout.header === null || layout.main === null) fail("header-above-main", "no header or no main content");
  else if (layout.header > layout.main + 1) fail("header-above-main", `header ends at ${layout.header}, main starts at ${layout.main}`);
  await page.evaluate(axeSource);
  const axe = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ") + (n.failureSummary ? " — " + n.failureSummary.split("\n").slice(1).join(" ").trim() : "")).join(" | ")}`);
  });
  for (const v of axe) fail("axe", v);
}

async function main() {
  const browser = await puppeteer.launch({
    executablePath: plan.chromium,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--hide-scrollbars"],
  });
  const failures = [];
  let views = 0;
  try {
    for (const scheme of SCHEMES) {
      for (const width of WIDTHS) {
        const page = await browser.newPage();
        let errors = [];
        const local = new URL(plan.base).host;
        await page.setRequestInterception(true);
        page.on("request", (r) => {
          if (new URL(r.url()).host === local || r.url().startsWith("data:")) r.continue();
          else r.respond({ status: 200, contentType: "image/gif", body: GIF });
        });
        page.on("console", (m) => { if (m.type() === "error") errors.push(m.text() + (m.location() && m.location().url ? ` (${m.location().url})` : "")); });
        page.on("pageerror", (e) => errors.push(String(e)));
        page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()}`));
        page.on("response", (r) => { if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`); });
        await page.setViewport({ width, height: width > 500 ? 900 : 844 });
        await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: scheme }]);
        for (const p of plan.pages) {
          const states = p.bilingual ? ["both", "original", "translation"] : [null];
          errors = [];
          await page.goto(plan.base + p.path, { waitUntil: "load" });
          if (p.wait) await page.waitForSelector(p.wait, { timeout: 10000 }).catch(() => failures.push({ page: p.name, width, scheme, check: "content", detail: `${p.wait} never appeared` }));
          for (const state of states) {
            const name = state ? `${p.name} [${state}]` : p.name;
            if (state) {
              await page.click(`.bilingual-toggle button[data-mode="${state}"]`).catch((e) => failures.push({ page: name, width, scheme, check: "switch", detail: String(e) }));
            }
            await check(page, { page: name, width, scheme }, failures);
            views += 1;
          }
          if (p.bilingual) await page.click('.bilingual-toggle button[data-mode="both"]').catch(() => {});
          for (const e of errors) failures.push({ page: p.name, width, scheme, check: "console", detail: e });
          for (const s of plan.screenshots.filter((s) => s.page === p.name && s.width === width && s.scheme === scheme)) {
            if (s.scroll) await page.evaluate((sel) => { const el = document.querySelector(sel); if (el) el.scrollIntoView(); }, s.scroll);
            await page.screenshot({ path: path.join(plan.shots, s.name + ".png") });
          }
        }
        await page.close();
      }
    }
  } finally {
    await browser.close();
  }
  fs.writeFileSync(process.argv[3], JSON.stringify({ views, failures }, null, 1));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
