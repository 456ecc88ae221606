// Walk pages as users and take screenshots (desktop and a 375 px phone) for a person to
// look at: `node tests/browser/walk.mjs BASE OUTDIR login:path[,path…] …`.
// Not a test: a tool for the "walk it as a user" step of a change.
import { chromium } from 'playwright-core';
import { join } from 'node:path';

const [base, out, ...specs] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
for (const spec of specs) {
  const [login, paths] = spec.split(':');
  for (const [kind, viewport] of [['desktop', { width: 1280, height: 900 }], ['phone', { width: 375, height: 740 }]]) {
    const context = await browser.newContext({ viewport, isMobile: kind === 'phone' });
    const page = await context.newPage();
    await page.goto(`${base}/login`);
    await page.fill('#login', login);
    await page.fill('#password', process.env.PASSWORD || 'Parta-demo-2026');
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/`);
    for (const path of paths.split(',')) {
      const res = await page.goto(`${base}${path}`);
      const name = `${login}${path.replace(/[^a-z0-9]+/gi, '_')}-${kind}.png`;
      await page.screenshot({ path: join(out, name), fullPage: true });
      const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      console.log(`${res.status()} ${login} ${path} ${kind}${wide > 0 ? ` WIDER BY ${wide}px` : ''} → ${name}`);
    }
    await context.close();
  }
}
await browser.close();
