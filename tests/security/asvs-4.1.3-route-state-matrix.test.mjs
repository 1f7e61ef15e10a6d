// ASVS 4.0.3 V4.1.3 (least privilege), V3.7.1 (a full, valid login session
// before sensitive work): every route of the API in every session state.
//
// The route list is read from the route tables of
// mod_jobcenter/mod_jobcenter_*.c, the allowed set from the table in
// docs/api.md ("Route × session state"). A route without a row, a row
// without a route, or a cell the server does not honour fails the test.
//
// Each cell is one request with a session of its own, written straight into
// the session table (state, account and the time of the last check are what
// the cell is about; the flows that reach these states have their own
// tests). A cell is "refused" when the answer is one of the refusals of the
// session check (401 not_authenticated, 403 state_insufficient /
// staff_only / reauth_required, 409 factor_exists / <step>_not_required),
// "allowed" otherwise (the handler ran: its answer to an empty body is
// usually a 4xx of its own input checks). After the refusals the test
// checks that nothing changed: the account's factors, sessions and rows.
//
// JC_MATRIX_PRINT=1 prints the observed table in the docs' format.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { useEnv, logTest } from '../lib/env.mjs';
import { uniqueEmail, nowSec } from '../lib/util.mjs';
import { mintSessions } from '../lib/sessions.mjs';
import { routeTable, docTable as docTableOf } from '../lib/routes.mjs';
import { strongPassword, registerAndConfirm, addTotp } from '../lib/flows.mjs';
import { lit } from '../lib/db.mjs';
import { addJobcenter, addStaff, adminOk } from '../lib/staff.mjs';
import { SoftAuthenticator } from '../lib/webauthn.mjs';

// The columns of the docs' table: how to make the session of each.
// variants: every listed account must give the same answer.
const COLUMNS = [
    { name: 'none' },
    { name: 'password_ok', state: 'password_ok', accounts: ['plain'] },
    { name: 'password_change_required', state: 'password_change_required', accounts: ['plain'] },
    { name: 'email_required', state: 'email_required', accounts: ['plain'] },
    { name: 'mfa_setup_required', state: 'mfa_setup_required', accounts: ['plain'] },
    { name: 'mfa_setup_required + factor', state: 'mfa_setup_required', accounts: ['totp', 'passkey'] },
    { name: 'mfa_required', state: 'mfa_required', accounts: ['totp', 'passkey', 'both'] },
    { name: 'authenticated', state: 'authenticated', accounts: ['passkey'], fresh: true },
    { name: 'authenticated, stale', state: 'authenticated', accounts: ['passkey'], fresh: false },
    { name: 'staff', state: 'authenticated', accounts: ['staff'], fresh: true },
    { name: 'staff admin', state: 'authenticated', accounts: ['admin'], fresh: true },
    { name: 'staff disabled', state: 'authenticated', accounts: ['disabled'], fresh: true }
];

const REFUSALS = new Set(['401 not_authenticated', '403 state_insufficient', '403 staff_only',
    '403 reauth_required', '409 factor_exists', '409 mfa_not_required', '409 password_change_not_required',
    '409 email_not_required']);

const routeKey = (r) => `${r.method} ${r.path}`;
const docTable = () => docTableOf(COLUMNS.map((c) => c.name));

describe('route × session state matrix (docs/api.md)', () => {
    const h = useEnv();
    const acct = {};

    test('every route of the route table has exactly one row in docs/api.md, and every row a route', () => {
        const routes = routeTable().map(routeKey);
        const rows = [...docTable().keys()];
        assert.deepEqual(routes.filter((r) => !rows.includes(r)), [], 'routes without a row in docs/api.md');
        assert.deepEqual(rows.filter((r) => !routes.includes(r)), [], 'rows in docs/api.md without a route');
    });

    test('set-up: accounts without a factor, with TOTP, with a passkey, with both; staff', async () => {
        const env = h.env;
        const auth = new SoftAuthenticator({ rpId: new URL(env.base).hostname, origin: env.base });
        const idOf = async (email) => Number(await env.db.scalar(`SELECT id FROM account WHERE email = ${lit(email)}`));
        for (const kind of ['plain', 'totp', 'passkey', 'both']) {
            const u = await registerAndConfirm(env, uniqueEmail(`mx-${kind}`), strongPassword());
            const c = env.client();
            const l = await c.post('/api/v1/login', { login: u.email, password: u.password });
            assert.equal(l.json.state, 'mfa_setup_required', l.text);
            if (kind === 'passkey' || kind === 'both') {
                const o = await c.post('/api/v1/passkey/register/options', {}, { csrf: true });
                assert.equal(o.status, 200, o.text);
                const v = await c.post('/api/v1/passkey/register/verify', auth.create(o.json), { csrf: true });
                assert.equal(v.status, 200, v.text);
            }
            if (kind === 'totp' || kind === 'both') await addTotp(c);
            acct[kind] = await idOf(u.email);
        }
        const jc = `Jobcenter Matrix ${crypto.randomBytes(3).toString('hex')}`;
        await addJobcenter(env, jc, ['71332']);
        acct.staff = (await addStaff(env, jc, { tag: 'mx-sb' })).id;
        acct.admin = (await addStaff(env, jc, { tag: 'mx-admin', role: 'admin' })).id;
        const dis = await addStaff(env, jc, { tag: 'mx-dis' });
        await adminOk(env, ['staff-disable', '--email', dis.email]);
        acct.disabled = dis.id;
        for (const [k, v] of Object.entries(acct)) assert.ok(v > 0, `account ${k}`);
    });

    // One session per (route, account) of a column, in one statement;
    // resolves Map "route|account" -> {token, csrf}.
    async function mint(env, col, routes) {
        const now = nowSec();
        const keys = [];
        const specs = [];
        for (const r of routes) {
            for (const a of col.accounts) {
                keys.push(`${routeKey(r)}|${a}`);
                specs.push({ account: acct[a], state: col.state,
                    verifiedAt: col.state === 'authenticated' ? (col.fresh ? now : now - 7 * 86400) : 0 });
            }
        }
        const made = await mintSessions(env, specs);
        return new Map(keys.map((k, i) => [k, made[i]]));
    }

    async function call(env, r, sess) {
        const c = env.client();
        const p = `/api/v1/${r.path.replace('*', '999999999').replace('#', '0'.repeat(32))}`;
        if (sess) c.jar.set('jc_session', sess.token);
        const opts = { csrf: sess ? sess.csrf : undefined };
        const res = r.method === 'GET' ? await c.get(p, opts)
            : r.method === 'POST' ? await c.post(p, r.body === 'JC_BODY_JSON' ? {} : undefined, opts)
                : await c.request(r.method, p, undefined, opts);
        const verdict = `${res.status} ${res.error ? res.error.code : ''}`;
        return { allowed: !REFUSALS.has(verdict), verdict };
    }

    async function factorSnapshot(env) {
        return env.db.query('SELECT account_id, count(*) AS n, '
            + 'max(confirmed_at) AS c FROM totp_factor GROUP BY account_id ORDER BY account_id')
            .then(async (t) => ({ totp: JSON.stringify(t),
                passkeys: JSON.stringify(await env.db.query('SELECT id, account_id, name FROM passkey ORDER BY id')) }));
    }

    test('every cell: the server allows exactly what docs/api.md says (and nothing changes on a refusal)', async () => {
        const env = h.env;
        const routes = routeTable();
        const doc = docTable();
        const observed = new Map(routes.map((r) => [routeKey(r), new Map()]));
        const wrong = [];
        const before = await factorSnapshot(env);
        for (const col of COLUMNS) {
            for (const r of routes) {
                // sessions of their own for every cell: a route may end
                // the account's other sessions
                const sessions = col.accounts ? await mint(env, col, [r]) : null;
                const results = [];
                for (const a of col.accounts || [null]) {
                    results.push({ a, ...(await call(env, r, a ? sessions.get(`${routeKey(r)}|${a}`) : null)) });
                }
                const allowed = results[0].allowed;
                if (results.some((x) => x.allowed !== allowed)) {
                    wrong.push(`${routeKey(r)} / ${col.name}: the account variants differ: `
                        + results.map((x) => `${x.a}: ${x.verdict}`).join(', '));
                }
                const mark = allowed ? '✓' : '–';
                observed.get(routeKey(r)).set(col.name, mark);
                const want = doc.get(routeKey(r))?.get(col.name);
                if (want !== mark) {
                    wrong.push(`${routeKey(r)} / ${col.name}: docs say ${want}, server ${mark} `
                        + `(${results.map((x) => x.verdict).join(', ')})`);
                }
            }
        }
        if (process.env.JC_MATRIX_PRINT) {
            console.log(`| route | ${COLUMNS.map((c) => c.name).join(' | ')} |`);
            console.log(`|---|${COLUMNS.map(() => ':-:').join('|')}|`);
            for (const r of routes) {
                console.log(`| \`${routeKey(r)}\` | ${COLUMNS.map((c) => observed.get(routeKey(r)).get(c.name)).join(' | ')} |`);
            }
        }
        assert.deepEqual(wrong, [], `\n${wrong.join('\n')}`);
        // refused set-up calls added no factor anywhere; allowed set-up
        // calls with an empty body confirm nothing either
        const after = await factorSnapshot(env);
        assert.equal(after.passkeys, before.passkeys, 'passkeys changed');
        const confirmed = (s) => JSON.parse(s).filter((x) => x.c !== null && x.c !== '' && x.c !== undefined)
            .map((x) => Number(x.account_id));
        assert.deepEqual(confirmed(after.totp), confirmed(before.totp), 'confirmed TOTP factors changed');
    });

    logTest();
});
