// Chromium (Debian's /usr/bin/chromium) driven by playwright-core, with a
// watchdog per page: console errors, uncaught page errors, CSP violations,
// failed requests and HTTP errors of the portal's own files are collected
// and turned into test failures by page.assertClean().
//
// Accessibility: every page of newPage() runs axe-core (WCAG 2.0/2.1/2.2
// A and AA rules, target size included) in the browser on each state it
// shows: after the load and whenever the DOM has been quiet for 250 ms
// after a change (a step shown, an error message, a dialog). Violations
// go to page.problems as "axe: RULE (impact) on URL at WIDTHpx: NODES"
// and page.dispose() fails with them (after a last check of the final
// state). opts.axe = false switches it off for a page.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { generate } from 'otplib';
import { chromium } from 'playwright-core';
import { SUBJECT_CONFIRM } from './flows.mjs';

export const CHROMIUM = process.env.JC_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// Plain launch: Playwright gives the browser a fresh, temporary
// --user-data-dir and removes it on close.
export function launch() {
    return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30000 });
}

// One Chromium for the tests of a describe block (call it inside the
// describe, before hooks that use it): launched in a before() hook, closed
// in an after() hook. Returns the holder whose `browser` is that Chromium.
export function useBrowser() {
    const b = { browser: null };
    before(async () => {
        b.browser = await launch();
    });
    after(async () => {
        if (b.browser) await b.browser.close();
    });
    return b;
}

const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

// In the page (main frame, HTML documents only): axe after the load and
// after every quiet spell of 250 ms following a DOM change; one run at a
// time; each violation reported once per URL through __jcAxe.
function axeWatch(tags) {
    if (window.top !== window) return;
    let timer = null, running = null, again = false;
    const seen = new Set();
    async function check() {
        if (document.contentType !== 'text/html' || !window.axe) return;
        if (running) { again = true; return running; }
        running = (async () => {
            try {
                const r = await window.axe.run(document, {
                    runOnly: { type: 'tag', values: tags }, resultTypes: ['violations']
                });
                const out = [];
                for (const v of r.violations) {
                    const nodes = v.nodes.map((n) => n.target.join(' ') + ' ' + n.html.slice(0, 120));
                    const key = location.pathname + '|' + v.id + '|' + nodes.join('|');
                    if (seen.has(key)) continue;
                    seen.add(key);
                    out.push({ id: v.id, impact: v.impact, help: v.help, nodes });
                }
                if (out.length) {
                    await window.__jcAxe({ url: location.pathname + location.search, width: window.innerWidth, violations: out });
                }
            } catch (e) {
                await window.__jcAxe({ url: location.pathname, width: window.innerWidth, error: String(e) });
            }
        })();
        await running;
        running = null;
        if (again) { again = false; await check(); }
    }
    function schedule() {
        clearTimeout(timer);
        timer = setTimeout(check, 250);
    }
    window.__jcAxeCheck = async () => { clearTimeout(timer); await check(); };
    document.addEventListener('DOMContentLoaded', () => {
        new MutationObserver(() => { if (!running) schedule(); }).observe(document.documentElement, {
            subtree: true, childList: true, attributes: true, characterData: true
        });
        schedule();
    });
}

// Run axe now on the state page shows (waits for a running check); the
// violations land in page.problems / page.axeProblems as usual.
export async function checkA11y(page) {
    await page.evaluate(() => window.__jcAxeCheck && window.__jcAxeCheck()).catch(() => {});
}

const FAILED_LOAD = /^Failed to load resource: the server responded with a status of (\d{3})/;

// A new context + page at 360x800. opts.expectApi: HTTP statuses of
// /api/v1/ calls the test provokes on purpose (their "Failed to load
// resource" console lines are then not errors). opts.timezoneId: the
// browser's time zone (default: the test process's, Europe/Berlin);
// opts.width/height: another viewport (e.g. 1280 x 900).
export async function newPage(browser, { expectApi = [], timezoneId, width = 360, height = 800, axe = true } = {}) {
    const context = await browser.newContext({
        viewport: { width, height }, locale: 'de-DE', serviceWorkers: 'block',
        ...(timezoneId ? { timezoneId } : {})
    });
    context.setDefaultTimeout(15000);
    const page = await context.newPage();
    const problems = [];
    const expected = new Set(expectApi.map(Number));
    page.apiCalls = [];
    const axeProblems = [];
    page.axeProblems = axeProblems;
    if (axe) {
        await context.exposeBinding('__jcAxe', (_src, r) => {
            const msgs = r.error ? [`axe: run failed on ${r.url}: ${r.error}`]
                : r.violations.map((v) => `axe: ${v.id} (${v.impact}) on ${r.url} at ${r.width}px: ${v.help}\n    `
                    + v.nodes.join('\n    '));
            axeProblems.push(...msgs);
            problems.push(...msgs);
        });
        await context.addInitScript({ content: AXE_SOURCE + `\n;(${axeWatch})(${JSON.stringify(AXE_TAGS)});` });
    }

    await context.exposeBinding('__jcCspViolation', (_src, v) => {
        problems.push(`CSP violation: ${v.directive} blocked ${v.blocked} in ${v.source}:${v.line}`);
    });
    await context.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (e) => {
            window.__jcCspViolation({
                directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber
            });
        });
    });
    page.on('console', (msg) => {
        if (msg.type() !== 'error') return;
        const text = msg.text();
        const url = (msg.location() && msg.location().url) || '';
        const m = FAILED_LOAD.exec(text);
        if (m && url.includes('/api/v1/') && expected.has(Number(m[1]))) return;
        problems.push(`console error: ${text}${url ? ` (${url})` : ''}`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('requestfailed', (req) => {
        // the favicon (htdocs/_frame/head.html) is fetched last, at low
        // priority: a page that moves on at once (location.replace)
        // aborts it, which is no failure of the portal
        if (/\/img\/app\/icon-\d+\.png$/.test(req.url())
            && req.failure() && req.failure().errorText === 'net::ERR_ABORTED') return;
        problems.push(`request failed: ${req.method()} ${req.url()}: ${req.failure() && req.failure().errorText}`);
    });
    page.on('request', (req) => {
        if (req.url().includes('/api/v1/')) page.apiCalls.push(`${req.method()} ${new URL(req.url()).pathname}`);
    });
    page.on('response', (res) => {
        const url = res.url();
        if (res.status() >= 400 && !url.includes('/api/v1/')) problems.push(`HTTP ${res.status()} for ${url}`);
        if (res.status() >= 500) problems.push(`HTTP ${res.status()} for ${url}`);
    });

    page.problems = problems;
    page.expectApi = (...codes) => codes.forEach((c) => expected.add(Number(c)));
    page.dispose = async () => {
        if (axe && !page.isClosed()) await checkA11y(page);
        await context.close();
        if (axeProblems.length) assert.fail(`accessibility (axe):\n${axeProblems.join('\n')}`);
    };
    return page;
}

// document width at the current page: no horizontal scrolling at 360 px
export async function scrollWidth(page) {
    return page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body ? document.body.scrollWidth : 0));
}

// No horizontal scrolling: the page fits the 360 px viewport.
export async function noHorizontalScroll(page, what) {
    const w = await scrollWidth(page);
    assert.ok(w <= 360, `${what}: page is ${w} px wide at a 360 px viewport`);
}

// Login on the pages with u.email, u.password and a TOTP code of u.secret
// (step seconds ahead, so it is not the code the set-up used), for target
// (the ziel); ends on target.
export async function loginWithTotp(page, base, u, target, step = 30) {
    await page.goto(`${base}/anmeldung.html?ziel=${encodeURIComponent(target)}`);
    await loginHere(page, u, step);
}

// The same from the login page the browser is on (reached by a redirect
// that carries the ziel).
export async function loginHere(page, u, step = 30) {
    await page.locator('#login').fill(u.email);
    await page.locator('#password').fill(u.password);
    await page.locator('#login-submit').click();
    await page.waitForURL(/\/zweiter-faktor\.html\?ziel=/);
    const totp = page.locator('#totp_code');
    await totp.waitFor({ state: 'visible' });
    await totp.fill(await generate({ secret: u.secret, epoch: Math.floor(Date.now() / 1000) + step }));
    await totp.press('Enter');
}

// Chromium's virtual WebAuthn authenticator (CTAP2.1, internal, resident
// keys, user verification, presence given automatically) on page:
// { cdp, authenticatorId } for further WebAuthn.* commands.
export async function virtualAuthenticator(page) {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: {
            protocol: 'ctap2', ctap2Version: 'ctap2_1', transport: 'internal',
            hasResidentKey: true, hasUserVerification: true, isUserVerified: true,
            automaticPresenceSimulation: true
        }
    });
    return { cdp, authenticatorId };
}

// Sign the page's context in as the API client c (its cookies for base).
export async function useSession(page, base, c) {
    await page.context().addCookies([...c.jar.map].map(([name, value]) => ({ name, value, url: base })));
}

// The registration of the portal (registrierung.html, both steps, both
// consents) in page; resolves the confirmation mail sent to email.
// open: false when page is already on the registration page (reached by a
// link whose parameters must be kept).
export async function registerInBrowser(page, env, email, password, { open = true } = {}) {
    if (open) await page.goto(`${env.base}/registrierung.html`);
    await page.locator('#email').fill(email);
    await page.locator('#password').fill(password);
    await page.locator('#password_repeat').fill(password);
    await page.locator('#register-next').click();
    await page.locator('#step-2').waitFor({ state: 'visible' });
    const mark = env.mail.mark();
    await page.locator('#accept_terms').check();
    await page.locator('#accept_email').check();
    await page.locator('#register-submit').click();
    await page.waitForURL(/\/email-gesendet\.html/);
    return env.mail.waitFor(email, { subject: SUBJECT_CONFIRM, since: mark });
}

// The focus indicator of the focused element (document.activeElement), as
// computed: an outline of at least 2 px or a box-shadow; a visually hidden
// file input (.file-input, .file-picker-input) shows it on the label
// button that follows it. Returns {ok, what}.
export async function focusIndicator(page) {
    return page.evaluate(() => {
        let el = document.activeElement;
        if (!el || el === document.body) return { ok: false, what: 'nothing focused' };
        const what = `${el.tagName.toLowerCase()}#${el.id || ''} "${(el.getAttribute('aria-label') || el.textContent || el.value || '').trim().slice(0, 40)}"`;
        if (el.matches('.file-input, .file-picker-input')) {
            const label = [...(el.labels || [])].find((l) => l.matches('.button'));
            if (!label) return { ok: false, what: what + ' (no label button)' };
            el = label;
        }
        const cs = getComputedStyle(el);
        const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2;
        const shadow = cs.boxShadow && cs.boxShadow !== 'none';
        const r = el.getBoundingClientRect();
        const visible = r.width > 0 && r.height > 0 && cs.visibility !== 'hidden';
        return { ok: (outline || shadow) && visible, what: `${what} outline ${cs.outlineStyle} ${cs.outlineWidth}, shadow ${cs.boxShadow}` };
    });
}

// Keyboard only: press Tab (back: Shift+Tab) until target (a locator) has
// the focus, at most max times; every control the focus lands on must show
// a visible focus indicator. Returns the number of presses (0: the page
// had put the focus there itself).
export async function tabTo(page, target, { back = false, max = 40 } = {}) {
    if (await target.evaluate((el) => el === document.activeElement)) {
        const f = await focusIndicator(page);
        assert.ok(f.ok, `no visible focus indicator on ${f.what}`);
        return 0;
    }
    for (let i = 1; i <= max; i++) {
        await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
        const f = await focusIndicator(page);
        assert.ok(f.ok, `no visible focus indicator on ${f.what} (Tab ${i} on the way to ${target})`);
        if (await target.evaluate((el) => el === document.activeElement)) return i;
    }
    assert.fail(`${target} not reached with ${max} ${back ? 'Shift+Tab' : 'Tab'} presses`);
}
