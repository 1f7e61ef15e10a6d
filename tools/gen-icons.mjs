#!/usr/bin/env node
// Render the app icons (htdocs/img/app/icon-SIZE.png) from
// htdocs/img/app/icon.svg with Debian's Chromium (playwright-core): the
// web app manifest's icons, the Apple touch icon and the favicon. Run after
// changing the SVG; the PNGs are committed (no build step at install).
//
//   node tools/gen-icons.mjs
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const TOP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIR = path.join(TOP, 'htdocs', 'img', 'app');
const SIZES = [32, 180, 192, 512];
const svg = fs.readFileSync(path.join(DIR, 'icon.svg'), 'utf8');

const browser = await chromium.launch({
    executablePath: process.env.JC_CHROMIUM || '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu']
});
try {
    for (const size of SIZES) {
        const page = await browser.newPage({ viewport: { width: size, height: size } });
        const sized = svg.replace(/width="512" height="512"/, `width="${size}" height="${size}"`);
        await page.setContent(`<!DOCTYPE html><html><body style="margin:0">${sized}</body></html>`);
        const out = path.join(DIR, `icon-${size}.png`);
        await page.screenshot({ path: out, clip: { x: 0, y: 0, width: size, height: size } });
        await page.close();
        console.log(path.relative(TOP, out));
    }
} finally {
    await browser.close();
}
