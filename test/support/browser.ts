import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium through playwright-core; CI installs it, elsewhere its tests are skipped when missing. */
export const CHROMIUM = '/usr/bin/chromium';
export const noChromium = !existsSync(CHROMIUM) && process.env.CI !== 'true';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // Without the background-networking flags Chromium tries hosts this closed network refuses.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Signs in through the login form, as a person would. */
export async function signIn(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel('아이디').fill(username);
  await page.getByLabel('비밀번호').fill(password);
  await page.getByRole('button', { name: '로그인' }).click();
}

/** Where browser tests save screenshots (kept for a person to look at): test-output/screenshots, or TEST_OUTPUT_DIR. */
export function screenshotPath(name: string): string {
  const dir = path.resolve(process.env.TEST_OUTPUT_DIR ?? 'test-output', 'screenshots');
  mkdirSync(dir, { recursive: true });
  return path.join(dir, `${name}.png`);
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** The accessible name of the focused element, roughly as a screen reader says it. */
export function focusedName(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return '';
    const labelled = el.getAttribute('aria-label') ?? (el as HTMLInputElement).labels?.[0]?.textContent ?? el.textContent ?? '';
    return labelled.replace(/\s+/g, ' ').trim();
  });
}

/** Presses Tab (and nothing else) until the focused element's name matches; fails after `max` presses. */
export async function tabTo(page: Page, name: RegExp, max = 40): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (name.test(await focusedName(page))) return;
  }
  throw new Error(`no element named ${name} within ${max} Tab presses (focused: ${await focusedName(page)})`);
}

/** The page is no wider than the screen (no sideways scrolling). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/** Words in ASCII letters a Korean reader would meet in the page's visible text, outside the allowlist. */
export async function englishWords(page: Page, allow: RegExp[] = []): Promise<string[]> {
  const text = await page.evaluate(() => document.body.innerText + ' ' + document.title);
  // Tokens of letters, digits and hyphens: codes such as CA3f… or SHA-256 mix in digits and are not words.
  const words = (text.match(/[A-Za-z0-9_-]+/g) ?? []).filter((t) => /^[A-Za-z]{2,}$/.test(t));
  const allowed = [/^(ARS|MP3|SHA|KB|MB|kbps|KFTC|CMS|SMS|Twilio)$/, ...allow];
  return [...new Set(words.filter((w) => !allowed.some((a) => a.test(w))))];
}
