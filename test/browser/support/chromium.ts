import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';

/** Debian's `chromium` package, which `.ci/run` installs when missing; `CHROMIUM_PATH` names another. */
const EXECUTABLE = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where page screenshots are kept for a reviewer: the tests' output folder. */
const SCREENSHOT_DIR = resolve('test-output', 'screenshots');

export interface HeadlessChromium {
  readonly browser: Browser;
  /** A fresh context (own cookies), English first as a browser set to English asks. */
  newContext(): Promise<BrowserContext>;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<HeadlessChromium> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const browser = await chromium.launch({
    executablePath: EXECUTABLE,
    headless: true,
    // Without the background-networking flags Chromium keeps calling Google's hosts, which a closed network refuses.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    browser,
    newContext: () => browser.newContext({ locale: 'en-US', viewport: { width: 1200, height: 800 } }),
    // Playwright gives each launch a new empty profile of its own and removes it on close.
    close: () => browser.close(),
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** Clicks something that loads a page (a link, a form's button) and waits for that page. */
export async function follow(page: Page, target: Locator): Promise<void> {
  await Promise.all([page.waitForEvent('load'), target.click()]);
}

/**
 * How long an element may take to show. Generous: on a two-core CI machine the whole local stack
 * shares the cores with every other test file.
 */
const SHOW_TIMEOUT_MS = 30_000;

/** Waits for the element to show; when it does not, says which page the browser is on instead. */
export async function visible(target: Locator): Promise<void> {
  try {
    await target.first().waitFor({ state: 'visible', timeout: SHOW_TIMEOUT_MS });
  } catch (error) {
    const page = target.page();
    const heading = await page
      .locator('h1')
      .first()
      .innerText({ timeout: 1_000 })
      .catch(() => '(none)');
    throw new Error(`${String(error)}\nthe page is ${page.url()}, headed "${heading}"`, { cause: error });
  }
}

/** Waits for the element to show, then its text as a person reads it. */
export async function textOf(target: Locator): Promise<string> {
  await visible(target);
  return (await target.first().innerText()).trim();
}
