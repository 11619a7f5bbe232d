// Opens PAGE_URL in Debian's Chromium, headless, with a fresh profile;
// waits for the page's window.done and prints its window.results as JSON.
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const url = process.env.PAGE_URL;
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const profile = mkdtempSync(join(tmpdir(), "hooklab-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  timeout: 60_000,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-proxy-server",
  ],
});
try {
  const page = await context.newPage();
  const console_ = [];
  page.on("console", (m) => console_.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => console_.push(`pageerror: ${e.message}`));
  await page.goto(url);
  await page.waitForFunction(() => window.done === true, null, { timeout: 60_000 });
  const results = await page.evaluate(() => window.results);
  results.console = console_;
  results.userAgent = await page.evaluate(() => navigator.userAgent);
  process.stdout.write(JSON.stringify(results) + "\n");
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
