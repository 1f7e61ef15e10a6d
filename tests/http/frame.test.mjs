// The page frame (issue 15): header, footer and the shared blocks of the
// portal's pages exist once in htdocs/_frame/ and are put together by
// Apache's mod_include when a page is served; the footer pages take the
// operator's texts from the content directory (gen-config --content-dir).
//
// Every page of htdocs/ (citizen and, with a staff session, the staff
// pages) is fetched: no SSI directive is left in it, no SSI error text,
// it has exactly one header, main and footer, and the footer links every
// footer page; the shared blocks are in the pages that had them. The
// fragments and the operator's .html texts answer 404 when asked for
// directly (only includes read them) and nothing is logged for that; the
// pages carry Cache-Control no-cache and the site's security headers
// (CSP ...). A second environment with its own content directory shows
// the operator's text, and serves a non-HTML file (a video) of it directly.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useEnv, logTest, TOP } from '../lib/env.mjs';

const HTDOCS = path.join(TOP, 'htdocs');
const FOOTER_PAGES = ['nutzungsbedingungen.html', 'datenschutz.html', 'impressum.html', 'barrierefreiheit.html',
    'leichte-sprache.html', 'gebaerdensprache.html'];
const citizenPages = fs.readdirSync(HTDOCS).filter((f) => f.endsWith('.html'));
const count = (s, re) => (s.match(re) || []).length;

function checkPage(name, r, body) {
    assert.equal(r.status, 200, name);
    assert.doesNotMatch(body, /<!--#/, `${name}: an SSI directive reached the browser`);
    assert.doesNotMatch(body, /an error occurred while processing this directive/, name);
    assert.equal(count(body, /<header class="site-header">/g), 1, `${name}: one header`);
    assert.equal(count(body, /<main id="main"/g), 1, `${name}: one main`);
    assert.equal(r.headers.get('cache-control'), 'no-cache', `${name}: Cache-Control`);
    assert.match(r.headers.get('content-security-policy') || '', /default-src 'self'/, `${name}: CSP`);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff', name);
    assert.equal(r.headers.get('last-modified'), null, `${name}: no Last-Modified of the page file alone`);
    if (name === 'offline.html') return;
    assert.equal(count(body, /<footer class="site-footer">/g), 1, `${name}: one footer`);
    const prefix = name.startsWith('sachbearbeitung/') ? '../' : '';
    for (const f of FOOTER_PAGES) {
        assert.ok(body.includes(`href="${prefix}${f}"`), `${name}: footer link to ${f}`);
    }
    assert.ok(body.includes('<link rel="manifest" href="/manifest.webmanifest">'), `${name}: manifest link`);
    assert.ok(body.includes('<script type="module" src="/js/app.js"></script>'), `${name}: app.js`);
}

describe('page frame with the shipped example texts', () => {
    const h = useEnv({
        sets: [],
        extra: '<Location /sachbearbeitung/>\n    AuthType None\n    Require all granted\n</Location>\n'
    });

    test('every citizen page is whole: frame included, no SSI left, headers of the site', async () => {
        for (const name of citizenPages) {
            const r = await fetch(`${h.env.base}/${name}`, { redirect: 'manual' });
            checkPage(name, r, await r.text());
        }
    });

    test('the staff pages get the frame with the staff brand and ../ footer links', async () => {
        for (const f of fs.readdirSync(path.join(HTDOCS, 'sachbearbeitung'))) {
            const name = `sachbearbeitung/${f}`;
            const r = await fetch(`${h.env.base}/${name}`, { redirect: 'manual' });
            const body = await r.text();
            checkPage(name, r, body);
            assert.match(body, /<a class="brand" href="index.html">Jobcenter.Digital · Sachbearbeitung<\/a>/, name);
            assert.match(body, /<button id="logout" class="button button-header" type="button">Abmelden<\/button>/, name);
        }
    });

    test('the variants of the frame: brand target, logout button, new-window footer, shared blocks', async () => {
        const page = async (p) => (await fetch(`${h.env.base}/${p}`)).text();
        const start = await page('postfach.html');
        assert.match(start, /<a class="brand" href="start.html">Jobcenter.Digital<\/a>/);
        assert.match(start, /<button id="logout" class="button button-header" type="button" hidden>Abmelden<\/button>/);
        const index = await page('index.html');
        assert.match(index, /<a class="brand" href="index.html">Jobcenter.Digital<\/a>/);
        assert.doesNotMatch(index, /id="logout"/);
        const reg = await page('registrierung.html');
        assert.ok(reg.includes('<a href="impressum.html" target="_blank" rel="noopener">Impressum</a>'));
        for (const p of ['registrierung.html', 'passwort-neu.html', 'passwort-aendern.html', 'konto.html']) {
            const b = await page(p);
            assert.equal(count(b, /id="password-rules"/g), 1, `${p}: the new-password block`);
            assert.equal(count(b, /id="rule-repeat"/g), 1, p);
        }
        assert.match(await page('konto.html'), /Änderungen an Ihrem Konto sind nur kurz/);
        assert.match(await page('sicherheit.html'), /Änderungen an Ihren Anmeldefaktoren sind nur kurz/);
    });

    test('the footer pages show the shipped examples, marked as such', async () => {
        for (const [p, h1] of [['impressum.html', 'Impressum'],
            ['barrierefreiheit.html', 'Erklärung zur Barrierefreiheit'],
            ['leichte-sprache.html', 'Jobcenter.Digital in Leichter Sprache'],
            ['gebaerdensprache.html', 'Jobcenter.Digital in Deutscher Gebärdensprache']]) {
            const body = await (await fetch(`${h.env.base}/${p}`)).text();
            assert.ok(body.includes(`<h1>${h1}</h1>`), p);
            assert.match(body, /<p class="placeholder"><strong>Beispiel:<\/strong>/, p);
        }
        const b = await (await fetch(`${h.env.base}/barrierefreiheit.html`)).text();
        assert.match(b, /<h2 id="feedback">Feedback und Kontakt<\/h2>/);
    });

    test('fragments and the operator texts are not pages: 404, nothing in the error log', async () => {
        const before = h.env.errorLog().length;
        for (const u of ['/_frame/header.html', '/_frame/footer.html', '/_frame/head.html', '/_frame/reauth.html',
            '/_frame/neues-passwort.html', '/_frame/', '/_betreiber/impressum.html', '/_betreiber/leichte-sprache.html',
            '/_frame/header.html?x=1', '/_frame//footer.html', '/_FRAME/header.html']) {
            const r = await fetch(h.env.base + u, { redirect: 'manual' });
            assert.equal(r.status, 404, u);
            assert.doesNotMatch(await r.text(), /site-header|Beispiel/, u);
        }
        assert.doesNotMatch(h.env.errorLog().slice(before), /\[(error|crit|alert|emerg)\]/);
    });
});

describe('footer pages with the operator\'s own texts', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jc-betreiber-'));
    fs.chmodSync(dir, 0o755);
    fs.writeFileSync(path.join(dir, 'impressum.html'), '<p>Jobcenter Testhausen, Amtsweg 1</p>\n');
    fs.writeFileSync(path.join(dir, 'barrierefreiheit.html'), '<h2 id="feedback">Feedback und Kontakt</h2><p>barrieren@test.example</p>\n');
    fs.writeFileSync(path.join(dir, 'leichte-sprache.html'), '<p>Das ist ein Text in Leichter Sprache.</p>\n');
    fs.writeFileSync(path.join(dir, 'gebaerdensprache.html'),
        '<video controls src="/_betreiber/dgs.mp4"></video>\n');
    fs.writeFileSync(path.join(dir, 'dgs.mp4'), Buffer.from('00000018667479706d703432', 'hex'));
    const h = useEnv({ contentDir: dir });

    test('the pages show the operator\'s texts; the video file is served, its .html texts are not', async () => {
        const imp = await (await fetch(`${h.env.base}/impressum.html`)).text();
        assert.ok(imp.includes('<p>Jobcenter Testhausen, Amtsweg 1</p>'));
        assert.doesNotMatch(imp, /Beispiel/);
        assert.ok((await (await fetch(`${h.env.base}/leichte-sprache.html`)).text())
            .includes('Das ist ein Text in Leichter Sprache.'));
        assert.ok((await (await fetch(`${h.env.base}/gebaerdensprache.html`)).text())
            .includes('<video controls src="/_betreiber/dgs.mp4"></video>'));
        const v = await fetch(`${h.env.base}/_betreiber/dgs.mp4`);
        assert.equal(v.status, 200);
        assert.equal(v.headers.get('content-type'), 'video/mp4');
        assert.equal(v.headers.get('x-content-type-options'), 'nosniff');
        assert.equal((await fetch(`${h.env.base}/_betreiber/impressum.html`)).status, 404);
    });
});

logTest();
