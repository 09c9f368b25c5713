// Real Chromium for the dashboard suite: Debian's /usr/bin/chromium (or CHROMIUM_PATH) driven by playwright-core,
// headless, with *.localhost mapped to loopback (Node cannot resolve tenant hosts; Chromium can with the flag).
// Each page is watched: console errors and warnings, uncaught exceptions and CSP violations on the dashboard's
// origin are problems, and so is every error response the test did not say it expected.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const chromiumFound = existsSync(CHROMIUM);

export async function launch(): Promise<Browser> {
  const args = ["--host-resolver-rules=MAP *.localhost 127.0.0.1"];
  // Chromium's sandbox refuses to start as root (CI runs as root).
  if (process.getuid?.() === 0) args.push("--no-sandbox");
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Declares an error response the next steps provoke on purpose (status, method, path prefix). */
  expectResponse(status: number, method: string, path: string): void;
  /** Everything that went wrong on the dashboard's origin so far. */
  problems(): string[];
  close(): Promise<void>;
}

/** A fresh browser context (no cookies) and page on `origin`, watched as described above. */
export async function watchedPage(browser: Browser, origin: string): Promise<WatchedPage> {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  const expected: { status: number; method: string; path: string; seen: boolean }[] = [];

  await page.exposeBinding("__cordonCspViolation", ({ frame }, report: string) => {
    if (frame.url().startsWith(origin)) problems.push(`CSP violation: ${report}`);
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      const report = `${e.violatedDirective} blocked ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`;
      (window as unknown as { __cordonCspViolation(r: string): void }).__cordonCspViolation(report);
    });
  });
  page.on("console", (msg) => {
    if (msg.type() !== "error" && msg.type() !== "warning") return;
    if (!page.url().startsWith(origin)) return;
    // A failed request is reported here too; responses are checked one by one below.
    if (msg.text().startsWith("Failed to load resource: the server responded with a status of")) return;
    problems.push(`console ${msg.type()}: ${msg.text()} (${msg.location().url})`);
  });
  page.on("pageerror", (err) => problems.push(`uncaught: ${err.message}`));
  page.on("response", (res) => {
    const url = new URL(res.url());
    if (!res.url().startsWith(origin) || res.status() < 400) return;
    const method = res.request().method();
    const hit = expected.find(
      (e) => !e.seen && e.status === res.status() && e.method === method && url.pathname.startsWith(e.path),
    );
    if (hit) hit.seen = true;
    else problems.push(`unexpected ${res.status()} for ${method} ${url.pathname}${url.search}`);
  });

  return {
    page,
    context,
    expectResponse: (status, method, path) => expected.push({ status, method, path, seen: false }),
    problems: () => [
      ...problems,
      ...expected.filter((e) => !e.seen).map((e) => `expected ${e.status} ${e.method} ${e.path} never came`),
    ],
    close: () => context.close(),
  };
}

/** Saves a screenshot into docs/screenshots when SCREENSHOTS=1 (the README shows them). */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.SCREENSHOTS !== "1") return;
  const dir = join(import.meta.dirname, "../../docs/screenshots");
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`) });
}

/** The focused element: its tag, accessible text, and whether its focus is visibly outlined. */
export async function focused(
  page: Page,
): Promise<{ tag: string; text: string; name: string | null; outlined: boolean }> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el) return { tag: "none", text: "", name: null, outlined: false };
    const style = getComputedStyle(el);
    return {
      tag: el.tagName.toLowerCase(),
      text: (el.textContent ?? "").trim(),
      name: el.getAttribute("name"),
      outlined: style.outlineStyle !== "none" && Number.parseFloat(style.outlineWidth) >= 2,
    };
  });
}

/** Presses Tab (or Shift+Tab) until the focused element's text is `text`; every stop must show its focus. */
export async function tabTo(page: Page, text: string, opts: { back?: boolean; max?: number } = {}): Promise<void> {
  for (let i = 0; i < (opts.max ?? 40); i++) {
    await page.keyboard.press(opts.back ? "Shift+Tab" : "Tab");
    const f = await focused(page);
    if (!f.outlined && f.tag !== "body") throw new Error(`focus on <${f.tag}> "${f.text}" is not visible`);
    if (f.text === text) return;
  }
  throw new Error(`no focusable element "${text}" within ${opts.max ?? 40} presses`);
}
