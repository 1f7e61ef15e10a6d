// A citizen's journey through HAProxy, requests alternating between the
// two Apache nodes (round-robin per request; X-Jc-Node tells which node
// answered): register, confirm by mail, log in, set up TOTP (the key sealed
// on one node, the code checked on the other: one key file), bind a
// profile, Online-Kommunikation, an upload on one node and its submit and
// receipt on the other (one store directory), a message, logout -- the
// session gone on both nodes. Then the same in Chromium (register, confirm,
// login, TOTP set-up, logout). Then a backup of database and store is
// restored into a fresh database and directory and compared
// (tools/backup-restore-check.sh).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import crypto from 'node:crypto';
import { generate } from 'otplib';
import { useCluster, clusterLogTest, TOP } from '../lib/cluster.mjs';
import { uniqueEmail, nowSec, run } from '../lib/util.mjs';
import { confirmToken, confirmLink } from '../lib/smtp.mjs';
import { strongPassword, registration, SUBJECT_CONFIRM } from '../lib/flows.mjs';
import { jobcenterWithStaff, createCustomer } from '../lib/fixtures.mjs';
import { samples, download } from '../lib/uploads.mjs';
import { launch, newPage, registerInBrowser } from '../lib/browser.mjs';

describe('citizen journey through HAProxy on two nodes', () => {
    const h = useCluster();
    let browser;
    before(async () => {
        browser = await launch();
    });
    after(async () => {
        if (browser) await browser.close();
    });

    test('HTTP API: every step answered, requests alternate n1/n2, state shared across nodes', async () => {
        const env = h.env;
        const c = env.client();
        const seen = [];      // [step, node, status]
        const step = async (name, p) => {
            const r = await p;
            seen.push([name, env.nodeOf(r), r.status]);
            return r;
        };
        const trail = () => seen.map(([s, n, st]) => `${s}@${n}=${st}`).join(' ');

        const email = uniqueEmail('journey');
        const password = strongPassword();
        const mark = env.mail.mark();
        let r = await step('register', c.post('/api/v1/register', registration(email, password)));
        assert.equal(r.status, 202, r.text);
        const mail = await env.mail.waitFor(email, { subject: SUBJECT_CONFIRM, since: mark });
        // the link points at the load balancer, not at a node
        assert.ok(confirmLink(mail).startsWith(`${env.base}/`), confirmLink(mail));
        r = await step('confirm', c.post('/api/v1/email/confirm', { token: confirmToken(mail) }));
        assert.equal(r.status, 200, r.text);
        r = await step('login', c.post('/api/v1/login', { login: email, password }));
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.state, 'mfa_setup_required', r.text);
        r = await step('totp-setup', c.post('/api/v1/mfa/totp/setup', {}, { csrf: true }));
        assert.equal(r.status, 200, r.text);
        const secret = r.json.secret.replace(/\s+/g, '');
        r = await step('totp-confirm', c.post('/api/v1/mfa/totp/confirm',
            { code: await generate({ secret, epoch: nowSec() }) }, { csrf: true }));
        assert.equal(r.status, 200, r.text);
        r = await step('me', c.get('/api/v1/me'));
        assert.equal(r.json.session.state, 'authenticated', r.text);
        const accountId = r.json.account.id;

        // a profile (staff work, written into the database) and the consent
        const jc = await jobcenterWithStaff(env, { name: 'Jobcenter Cluster' });
        const cust = await createCustomer(env, { jobcenterId: jc.id, createdBy: jc.staff });
        await env.db.exec(`UPDATE customer SET account_id = ${accountId}, bound_at = ${nowSec()} WHERE id = ${cust.id}`);
        r = await step('online', c.post('/api/v1/online-kommunikation/aktivieren', null, { csrf: true }));
        assert.equal(r.status, 200, r.text);

        // upload on one node, submit and receipt on the other
        r = await step('draft', c.post('/api/v1/uploads/drafts', { area: 'geldleistung' }, { csrf: true }));
        assert.equal(r.status, 201, r.text);
        const draft = r.json.draft;
        const pdf = samples.pdf(20000);
        r = await step('upload', c.post(`/api/v1/uploads/files?draft=${draft}&name=Kontoauszug.pdf`, null,
            { raw: pdf, contentType: 'application/pdf', csrf: true }));
        assert.equal(r.status, 201, r.text);
        const uploadNode = env.nodeOf(r);
        r = await step('submit', c.post('/api/v1/uploads/submit',
            { draft, message: 'Mein Kontoauszug', idempotency_key: crypto.randomUUID() }, { csrf: true }));
        assert.equal(r.status, 201, r.text);
        assert.notEqual(env.nodeOf(r), uploadNode, 'submit on the node of the upload');
        const receipt = await download(c, r.json.receipt);
        seen.push(['receipt', receipt.headers.get('x-jc-node'), receipt.status]);
        assert.equal(receipt.status, 200);
        assert.equal(receipt.buf.subarray(0, 5).toString('latin1'), '%PDF-');

        r = await step('message', c.post('/api/v1/messages', {
            anliegen: 'kopien', subject: 'Kopie meines Bescheids', text: 'Bitte senden Sie mir eine Kopie.',
            ack: true, idempotency_key: crypto.randomUUID()
        }, { csrf: true }));
        assert.equal(r.status, 201, r.text);
        r = await step('messages', c.get('/api/v1/messages'));
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.conversations.length, 1, r.text);

        r = await step('logout', c.post('/api/v1/logout', null, { csrf: true }));
        assert.ok([200, 204].includes(r.status), r.text);
        // the old cookie is dead on both nodes
        const stale = env.client();
        stale.jar = c.jar.clone();
        for (const n of env.nodes) {
            const x = await stale.request('GET', '/api/v1/me', undefined, {});
            seen.push([`me-after-logout`, env.nodeOf(x), x.status]);
            assert.equal(x.status, 401, `${n.name}: ${x.text}`);
        }
        // round-robin: no test traffic but ours goes through HAProxy, so the
        // steps alternate strictly (the download went through it as well)
        const nodes = seen.map(([, n]) => n);
        assert.ok(nodes.every((n) => n === 'n1' || n === 'n2'), trail());
        const repeats = nodes.filter((n, i) => i > 0 && n === nodes[i - 1]).length;
        assert.equal(repeats, 0, `two steps in a row on one node: ${trail()}`);
        // the file is in the one shared store
        const [f] = await env.db.query(`SELECT store_id, sha256 FROM upload_file WHERE account_id = ${accountId}`);
        const { sha256hex } = await import('../lib/util.mjs');
        assert.equal(f.sha256, sha256hex(pdf));
        const fs = await import('node:fs');
        assert.ok(fs.existsSync(path.join(env.store, 'files', f.store_id)), 'file not in the shared store');
    });

    test('Chromium through HAProxy: register, confirm, login, TOTP set-up, logout; API calls on both nodes', async () => {
        const env = h.env;
        const email = uniqueEmail('journey-browser');
        const password = strongPassword();
        const page = await newPage(browser, { expectApi: [401] });
        const nodes = new Map();
        page.on('response', (res) => {
            if (!res.url().includes('/api/v1/')) return;
            const n = res.headers()['x-jc-node'];
            nodes.set(n, (nodes.get(n) || 0) + 1);
        });
        try {
            const mail = await registerInBrowser(page, env, email, password);
            await page.goto(confirmLink(mail));
            await page.locator('#confirm-success').waitFor({ state: 'visible' });

            await page.goto(`${env.base}/anmeldung.html`);
            await page.locator('#login').fill(email);
            await page.locator('#password').fill(password);
            await page.locator('#login-submit').click();
            await page.waitForURL(/\/start\.html/);
            await page.getByRole('link', { name: 'Zweiter Faktor einrichten' }).click();
            await page.waitForURL(/\/zweiter-faktor-einrichten\.html/);
            // the key is filled in by the page's script after its API call
            await page.waitForFunction(() => /[A-Z2-7]{4}/.test(document.getElementById('totp-secret').textContent));
            const shown = (await page.locator('#totp-secret').textContent()).trim();
            await page.locator('#totp_code').fill(await generate({ secret: shown.replace(/\s+/g, ''), epoch: nowSec() }));
            await page.locator('#totp-confirm').click();
            await page.waitForURL(/\/start\.html/);
            await page.locator('#home').waitFor({ state: 'visible' });
            assert.equal(await page.locator('#account-name').textContent(), email);

            await page.locator('#logout').click();
            await page.waitForURL(/\/anmeldung\.html\?abgemeldet=1/);
            assert.deepEqual(page.problems, []);
            assert.ok((nodes.get('n1') || 0) > 0 && (nodes.get('n2') || 0) > 0,
                `API calls not spread over both nodes: ${JSON.stringify([...nodes])}`);
        } finally {
            await page.dispose();
        }
    });

    test('backup (pg_dump + store) restored into a fresh database and directory: same rows, same files', async (t) => {
        const env = h.env;
        // from the standby: a backup never loads the primary
        const sb = env.pg.standby;
        const r = await run(path.join(TOP, 'tools', 'backup-restore-check.sh'), [
            '--pg', `host=${sb.host} port=${sb.port} dbname=${env.dbname} user=postgres`,
            '--admin', `host=${env.pg.primary.host} port=${env.pg.primary.port} dbname=postgres user=postgres`,
            '--store', env.store, '--work', path.join(env.root, 'backup')
        ], { timeoutMs: 120000, check: false, env: { ...process.env, PATH: `${env.pg.bin}:${process.env.PATH}` } });
        assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
        assert.match(r.stdout, /^restore check: OK/m, r.stdout);
        t.diagnostic(r.stdout.trim());
    });
});

clusterLogTest();
