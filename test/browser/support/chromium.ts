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

/** Waits for the element to show, then its text as a person reads it. */
export async function textOf(target: Locator): Promise<string> {
  await target.first().waitFor({ state: 'visible', timeout: 10_000 });
  return (await target.first().innerText()).trim();
}

export async function visible(target: Locator): Promise<void> {
  await target.first().waitFor({ state: 'visible', timeout: 10_000 });
}
