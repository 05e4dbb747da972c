// Visits every page of the built book in a real browser (Debian's Chromium,
// driven through the DevTools protocol by playwright-core) and fails on a
// page that does not load, an image that does not load (naturalWidth 0), a
// request that fails, a console error, or a code block wider than its column
// at 1280 px (it would scroll, or be cut off mid-token: rustfmt's default
// width is what the book's column shows). Writes a screenshot of each
// stage's chapter, for a person to look at.
//
// Usage: node check.mjs BOOK_DIR SCREENSHOT_DIR [CHROMIUM]
// The book is served on a loopback port of its own; the browser starts with
// a fresh profile and no background networking (no outside address is
// reachable, and none is needed).

import { createServer } from "node:http";
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join, relative } from "node:path";
import { chromium } from "playwright-core";

const [book, shots, executable = "/usr/bin/chromium"] = process.argv.slice(2);
if (!book || !shots) {
  console.error("usage: node check.mjs BOOK_DIR SCREENSHOT_DIR [CHROMIUM]");
  process.exit(2);
}

const types = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css",
  ".js": "text/javascript",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".ttf": "font/ttf",
  ".json": "application/json",
};

function pages(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return pages(path);
    return extname(name) === ".html" ? [relative(book, path)] : [];
  });
}

const server = createServer((request, response) => {
  const pathname = decodeURIComponent(new URL(request.url, "http://x").pathname);
  // A browser asks for /favicon.ico by itself where a page names no icon
  // (mdbook's toc.html, the sidebar's no-script fallback): nothing to see.
  if (pathname === "/favicon.ico") {
    response.writeHead(204);
    response.end();
    return;
  }
  const path = join(book, pathname);
  try {
    const file = statSync(path).isDirectory() ? join(path, "index.html") : path;
    response.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
    response.end(readFileSync(file));
  } catch {
    response.writeHead(404);
    response.end("not found");
  }
});
await new Promise((done) => server.listen(0, "127.0.0.1", done));
const origin = `http://127.0.0.1:${server.address().port}`;

// A fresh profile directory, given as the persistent context's own.
const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "book-check-")), {
  executablePath: executable,
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: ["--disable-background-networking", "--no-first-run", "--no-sandbox"],
});
mkdirSync(shots, { recursive: true });
const problems = [];
const visited = pages(book).filter((page) => !page.startsWith("print") && page !== "404.html").sort();
for (const page of visited) {
  const tab = await browser.newPage();
  tab.on("console", (message) => {
    if (message.type() === "error") problems.push(`${page}: console error: ${message.text()}`);
  });
  tab.on("pageerror", (error) => problems.push(`${page}: script error: ${error.message}`));
  tab.on("requestfailed", (request) => problems.push(`${page}: ${request.url()} failed`));
  tab.on("response", (response) => {
    if (response.status() >= 400) problems.push(`${page}: ${response.url()} gave ${response.status()}`);
  });
  const response = await tab.goto(`${origin}/${page}`, { waitUntil: "load" });
  if (!response || !response.ok()) problems.push(`${page}: did not load (${response?.status()})`);
  const broken = await tab.$$eval("img", (images) =>
    images.filter((image) => !image.complete || image.naturalWidth === 0).map((image) => image.src),
  );
  for (const src of broken) problems.push(`${page}: image ${src} did not load`);
  // A listing that scrolls: its widest line, so that the fix is plain.
  const wide = await tab.$$eval("pre, pre > code", (blocks) =>
    blocks
      .filter((block) => block.scrollWidth > block.clientWidth)
      .map((block) => {
        const lines = block.innerText.split("\n");
        const widest = lines.reduce((a, b) => (b.length > a.length ? b : a), "");
        return `${block.scrollWidth - block.clientWidth} px too wide, widest line (${widest.length} characters): ${widest.trim()}`;
      }),
  );
  for (const block of wide) problems.push(`${page}: a code block scrolls: ${block}`);
  if (page.startsWith("stage-")) {
    await tab.screenshot({ path: join(shots, page.replace(/\.html$/, ".png")), fullPage: true });
  }
  await tab.close();
}
await browser.close();
server.close();

for (const problem of problems) console.error(problem);
console.log(`${visited.length} pages visited, ${problems.length} problems; screenshots in ${shots}`);
process.exit(problems.length === 0 ? 0 : 1);
