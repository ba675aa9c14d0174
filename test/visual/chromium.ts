import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's chromium (apt); the tests never download a browser. */
export const CHROMIUM = process.env.RG_TEST_CHROMIUM ?? '/usr/bin/chromium';

export const chromiumInstalled = existsSync(CHROMIUM);

/**
 * Launches the system chromium headless with a fresh profile (a new --user-data-dir from mkdtemp,
 * which Playwright takes as a persistent context's folder), no background networking, no
 * component updates and no sync: nothing it does reaches beyond the machine on its own.
 */
export async function launchChromium(viewport = { width: 1440, height: 900 }): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(path.join(tmpdir(), 'rg-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
