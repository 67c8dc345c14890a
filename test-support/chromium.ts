import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's Chromium, which `.ci/run` installs; browser suites skip (saying why) where it is absent. */
export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
export const NEEDS_CHROMIUM = `needs Debian's Chromium at ${CHROMIUM} (apt-get install chromium)`;

/**
 * Headless Chromium as this machine allows it: no sandbox as root, and no background networking,
 * whose connections this closed network refuses.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Pays on the sandbox's hosted Checkout page open in `page`, as a person would, with test card `card`. */
export async function payOnHostedCheckout(page: Page, card = '4242 4242 4242 4242'): Promise<void> {
  await page.fill('#name', 'Ada Lovelace');
  await page.fill('#card_number', card);
  await page.fill('#expiry', '12 / 34');
  await page.fill('#cvc', '123');
  await page.fill('#country', 'US');
  await page.fill('#postal_code', '94107');
  await page.click('#submit');
}
