// Issue 4, citizen side: redeeming a Freischaltcode (POST /api/v1/freischaltcode)
// binds a customer to the login account; GET /api/v1/profile, /jobcenter and
// /verlauf read from that binding; /link/freischaltcode (the QR link of the
// letter) sends the browser to the page with the code in the fragment and
// keeps the code out of the access log. Jobcenters, customers and codes are
// written into the database directly (tests/lib/fixtures.mjs).
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { useEnv, logTest } from '../lib/env.mjs';
import { lit } from '../lib/db.mjs';
import { assertError } from '../lib/flows.mjs';
import {
    jobcenterWithStaff, customerWithCode, issueCode, authenticatedCitizen, newCode, groupCode, nowSec
} from '../lib/fixtures.mjs';
import { registerAndConfirm, strongPassword } from '../lib/flows.mjs';
import { uniqueEmail } from '../lib/util.mjs';

const MSG_MALFORMED = 'Der Freischaltcode besteht aus Zahlen und Großbuchstaben, zum Beispiel: HET2-2X8A-UXAS.';
const MSG_SECOND = 'Das Anlegen von mehreren Personenprofilen der Agentur für Arbeit / Jobcenter im selben Konto '
    + 'ist nicht möglich.';

const redeem = (u, code, opts = {}) => u.c.post('/api/v1/freischaltcode', { code }, { csrf: true, ...opts });

async function codeRow(env, id) {
    const [r] = await env.db.query(`SELECT used_at, used_by, voided_at FROM freischaltcode WHERE id = ${id}`);
    return r;
}
async function customerRow(env, id) {
    const [r] = await env.db.query(`SELECT account_id, bound_at FROM customer WHERE id = ${id}`);
    return r;
}
async function eventCount(env, accountId) {
    return env.db.scalar(`SELECT count(*) FROM event WHERE account_id = ${accountId}`);
}

// What one error must leave alone: the code unused, the customer unbound
// (or bound as before), no new event.
async function assertUnchanged(env, { codeId, customerId, owner = null, accountId, events }) {
    const c = await codeRow(env, codeId);
    assert.equal(c.used_at, null, 'the code was marked used');
    assert.equal(c.used_by, null);
    assert.equal((await customerRow(env, customerId)).account_id, owner, 'the binding changed');
    assert.equal(await eventCount(env, accountId), events, 'an event was written');
}

describe('redeeming a Freischaltcode', () => {
    const h = useEnv({
        // an access log with the request line and the query: the code must
        // not show up in it
        extra: (env) => `CustomLog "${path.join(env.root, 'apache', 'logs', 'access-test.log')}" `
            + '"%h \\"%r\\" %>s q=%q u=%U"\n'
    });
    let jc, alice;

    before(async () => {
        jc = await jobcenterWithStaff(h.env, { name: 'Jobcenter Rems-Murr',
            street: 'Alter Postplatz 20', postcode: '71332', city: 'Waiblingen', phone: '07151 9519-0',
            opening_hours: 'Mo, Di, Fr 08:00–12:00 Uhr\nDo 08:00–18:00 Uhr' });
        alice = await authenticatedCitizen(h.env, 'alice');
    });

    test('without a profile: GET profile and jobcenter answer null, the Verlauf has no redemption', async () => {
        let r = await alice.c.get('/api/v1/profile');
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(r.json, { profile: null });
        r = await alice.c.get('/api/v1/jobcenter');
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(r.json, { jobcenter: null });
        r = await alice.c.get('/api/v1/verlauf');
        assert.equal(r.status, 200, r.text);
        assert.ok(Array.isArray(r.json.events));
        assert.ok(!r.json.events.some((e) => e.kind === 'freischaltcode_redeemed'));
        assert.equal(r.headers.get('cache-control'), 'no-store');
    });

    test('malformed or missing codes: 422 with the seed text, nothing counted', async () => {
        for (const code of ['HET2-2X8A-UXA', 'HET2-2X8A-UXAS7', 'HET0-2X8A-UXAS', 'HETI-2X8A-UXAS',
            'HET2_2X8A_UXAS', 'ÄÖÜ2-2X8A-UXAS', 'x'.repeat(500)]) {
            const r = await redeem(alice, code);
            assertError(r, 422, 'fsc_malformed', code);
            assert.equal(r.error.message, MSG_MALFORMED);
            assert.equal(r.error.field, 'code');
        }
        for (const body of [{}, { code: '' }, { code: 12345 }, { code: null }]) {
            const r = await alice.c.post('/api/v1/freischaltcode', body, { csrf: true });
            assertError(r, 422, 'fsc_missing', JSON.stringify(body));
        }
        assert.equal(await h.env.db.scalar("SELECT count(*) FROM login_throttle WHERE client_key LIKE 'fsc-%'"), 0);
    });

    test('an unknown well-formed code: 404 fsc_invalid, counted for the account and the address', async () => {
        const r = await redeem(alice, newCode());
        assertError(r, 404, 'fsc_invalid');
        assert.match(r.error.message, /ungültig oder wurde bereits verwendet/);
        const rows = await h.env.db.query("SELECT client_key, failures FROM login_throttle "
            + "WHERE client_key LIKE 'fsc-%' ORDER BY client_key");
        assert.deepEqual(rows.map((x) => [x.client_key, Number(x.failures)]),
            [[`fsc-a:${alice.id}`, 1], ['fsc-ip:127.0.0.1', 1]]);
    });

    test('expired: 410 fsc_expired, nothing changes', async () => {
        const { cust } = await customerWithCode(h.env, jc);
        const old = await issueCode(h.env, cust.id, { createdBy: jc.staff, expiresAt: nowSec() - 1 });
        const events = await eventCount(h.env, alice.id);
        const r = await redeem(alice, old.grouped);
        assertError(r, 410, 'fsc_expired');
        assert.match(r.error.message, /abgelaufen/);
        await assertUnchanged(h.env, { codeId: old.id, customerId: cust.id, accountId: alice.id, events });
    });

    test('voided by a newer code: 410 fsc_voided; the newer code is the one that works (happy path)', async () => {
        const first = await customerWithCode(h.env, jc, { given_name: 'Erika', family_name: 'Mustermann' });
        const second = await issueCode(h.env, first.cust.id, { createdBy: jc.staff });
        assert.notEqual((await codeRow(h.env, first.id)).voided_at, null);
        const events = await eventCount(h.env, alice.id);
        let r = await redeem(alice, first.grouped);
        assertError(r, 410, 'fsc_voided');
        assert.match(r.error.message, /neueren Freischaltcode/);
        await assertUnchanged(h.env, { codeId: first.id, customerId: first.cust.id, accountId: alice.id, events });

        // the newer one, typed in lower case with spaces and hyphens
        const typed = ` ${second.code.slice(0, 4).toLowerCase()} - ${second.code.slice(4, 8)} `
            + `${second.code.slice(8).toLowerCase()}`;
        const t0 = nowSec();
        r = await redeem(alice, typed);
        assert.equal(r.status, 201, r.text);
        assert.deepEqual(r.json.profile, {
            kundennummer: first.cust.kundennummer, name: 'Erika Mustermann', salutation: 'Frau',
            given_name: 'Erika', family_name: 'Mustermann', bound_at: r.json.profile.bound_at,
            jobcenter: { name: 'Jobcenter Rems-Murr' }
        });
        assert.ok(r.json.profile.bound_at >= t0 - 1);

        const cust = await customerRow(h.env, first.cust.id);
        assert.equal(cust.account_id, alice.id);
        assert.ok(cust.bound_at >= t0 - 1);
        const code = await codeRow(h.env, second.id);
        assert.equal(code.used_by, alice.id);
        assert.ok(code.used_at >= t0 - 1);
        const ev = await h.env.db.query(`SELECT kind, detail, at FROM event WHERE account_id = ${alice.id} `
            + "AND kind = 'freischaltcode_redeemed'");
        assert.equal(ev.length, 1);
        assert.equal(ev[0].detail, 'Jobcenter Rems-Murr');
        // a success resets the account's failure count
        assert.equal(await h.env.db.scalar(`SELECT count(*) FROM login_throttle WHERE client_key = 'fsc-a:${alice.id}'`), 0);
        alice.customer = first.cust;
        alice.code = second;
    });

    test('GET /api/v1/profile, /jobcenter and /verlauf with a profile', async () => {
        let r = await alice.c.get('/api/v1/profile');
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.profile.kundennummer, alice.customer.kundennummer);
        assert.match(r.json.profile.kundennummer, /^\d{3}[A-Z]\d{6}$/);
        assert.equal(r.json.profile.name, 'Erika Mustermann');
        assert.equal(r.json.profile.jobcenter.name, 'Jobcenter Rems-Murr');

        r = await alice.c.get('/api/v1/jobcenter');
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(r.json.jobcenter, {
            name: 'Jobcenter Rems-Murr', street: 'Alter Postplatz 20', postcode: '71332', city: 'Waiblingen',
            phone: '07151 9519-0', opening_hours: ['Mo, Di, Fr 08:00–12:00 Uhr', 'Do 08:00–18:00 Uhr']
        });

        // an older event written directly: the list is newest first
        await h.env.db.exec(`INSERT INTO event (account_id, at, kind, detail) VALUES (${alice.id}, 1000, 'login', NULL)`);
        r = await alice.c.get('/api/v1/verlauf');
        assert.equal(r.status, 200, r.text);
        const ev = r.json.events;
        assert.ok(ev.length >= 2, r.text);
        assert.deepEqual(ev[0], { at: ev[0].at, kind: 'freischaltcode_redeemed', text: 'Freischaltcode eingelöst',
            detail: 'Jobcenter Rems-Murr' });
        const last = ev[ev.length - 1];
        assert.deepEqual(last, { at: 1000, kind: 'login', text: 'Anmeldung mit Passwort und zweitem Faktor',
            detail: null });
        for (let i = 1; i < ev.length; i++) assert.ok(ev[i - 1].at >= ev[i].at, 'not newest first');
    });

    test('the same code again: 404 (used); a new code of the own customer: 409 profile_linked', async () => {
        const events = await eventCount(h.env, alice.id);
        let r = await redeem(alice, alice.code.code);
        assertError(r, 404, 'fsc_invalid');
        const again = await issueCode(h.env, alice.customer.id, { createdBy: jc.staff });
        r = await redeem(alice, again.code);
        assertError(r, 409, 'profile_linked');
        await assertUnchanged(h.env, { codeId: again.id, customerId: alice.customer.id, owner: alice.id,
            accountId: alice.id, events });
    });

    test('a second person profile in the same account is refused with the seed text', async () => {
        const other = await customerWithCode(h.env, jc);
        const events = await eventCount(h.env, alice.id);
        const r = await redeem(alice, other.code);
        assertError(r, 409, 'profile_exists');
        assert.equal(r.error.message, MSG_SECOND);
        await assertUnchanged(h.env, { codeId: other.id, customerId: other.cust.id, accountId: alice.id, events });
        const p = await alice.c.get('/api/v1/profile');
        assert.equal(p.json.profile.kundennummer, alice.customer.kundennummer);
    });

    test('a customer bound to another account: 409 customer_bound', async () => {
        const bob = await authenticatedCitizen(h.env, 'bob');
        const fresh = await issueCode(h.env, alice.customer.id, { createdBy: jc.staff });
        const events = await eventCount(h.env, bob.id);
        const r = await redeem(bob, fresh.grouped);
        assertError(r, 409, 'customer_bound');
        assert.match(r.error.message, /eigenes Konto/);
        await assertUnchanged(h.env, { codeId: fresh.id, customerId: alice.customer.id, owner: alice.id,
            accountId: bob.id, events });
        assert.deepEqual((await bob.c.get('/api/v1/profile')).json, { profile: null });
    });

    test('only complete two-factor sessions, with Origin and CSRF token', async () => {
        const { cust, id, code } = await customerWithCode(h.env, jc);
        // no session
        let r = await h.env.client().post('/api/v1/freischaltcode', { code });
        assertError(r, 401, 'not_authenticated');
        // password only (mfa_setup_required)
        const u = await registerAndConfirm(h.env, uniqueEmail('half'), strongPassword());
        const half = h.env.client();
        r = await half.post('/api/v1/login', { login: u.email, password: u.password });
        assert.equal(r.json.state, 'mfa_setup_required');
        r = await half.post('/api/v1/freischaltcode', { code }, { csrf: true });
        assertError(r, 403, 'state_insufficient');
        for (const p of ['/api/v1/profile', '/api/v1/jobcenter', '/api/v1/verlauf']) {
            assertError(await half.get(p), 403, 'state_insufficient', p);
            assertError(await h.env.client().get(p), 401, 'not_authenticated', p);
        }
        // a complete session without the CSRF token, or from another origin
        const carol = await authenticatedCitizen(h.env, 'carol');
        r = await carol.c.post('/api/v1/freischaltcode', { code });
        assertError(r, 403, 'csrf_failed');
        r = await carol.c.post('/api/v1/freischaltcode', { code }, { csrf: true, origin: 'https://evil.example' });
        assertError(r, 403, 'csrf_failed');
        r = await carol.c.get('/api/v1/freischaltcode');
        assertError(r, 405, 'method_not_allowed');
        assert.equal((await customerRow(h.env, cust.id)).account_id, null);
        assert.equal((await codeRow(h.env, id)).used_at, null);
        // and then it works
        r = await redeem(carol, code);
        assert.equal(r.status, 201, r.text);
    });

    test('parallel redemptions: one code by two accounts, two codes by one account: one profile each', async () => {
        const [gina, hans] = await Promise.all([authenticatedCitizen(h.env, 'gina'), authenticatedCitizen(h.env, 'hans')]);
        const one = await customerWithCode(h.env, jc);
        let rs = await Promise.all([redeem(gina, one.code), redeem(hans, one.code)]);
        let st = rs.map((r) => r.status).sort();
        assert.equal(st.filter((x) => x === 201).length, 1, rs.map((r) => r.text).join('\n'));
        const loser = rs.find((r) => r.status !== 201);
        assert.ok(['fsc_invalid', 'customer_bound'].includes(loser.error.code), loser.text);
        const winner = rs[0].status === 201 ? gina : hans;
        const other = winner === gina ? hans : gina;
        assert.equal((await customerRow(h.env, one.cust.id)).account_id, winner.id);
        assert.equal((await codeRow(h.env, one.id)).used_by, winner.id);

        const [a, b] = await Promise.all([customerWithCode(h.env, jc), customerWithCode(h.env, jc)]);
        rs = await Promise.all([redeem(other, a.code), redeem(other, b.code)]);
        st = rs.map((r) => r.status).sort();
        assert.deepEqual(st, [201, 409], rs.map((r) => r.text).join('\n'));
        assert.equal(rs.find((r) => r.status === 409).error.code, 'profile_exists');
        assert.equal(await h.env.db.scalar(`SELECT count(*) FROM customer WHERE account_id = ${other.id}`), 1);
        assert.equal(await h.env.db.scalar(`SELECT count(*) FROM freischaltcode WHERE used_by = ${other.id}`), 1);
    });

    test('/link/freischaltcode: 303 to the page with the checked code in the fragment, nowhere else', async () => {
        const api = h.env.client();
        const get = (q) => api.get(`/link/freischaltcode${q}`, { headers: { Accept: 'text/html' }, jar: false });
        const code = newCode();
        const cases = [
            [`?code=${groupCode(code)}`, `/eservices-freischalten.html#code=${groupCode(code)}`],
            [`?code=${encodeURIComponent(` ${code.toLowerCase().slice(0, 6)} ${code.slice(6)}`)}`,
                `/eservices-freischalten.html#code=${groupCode(code)}`],
            [`?x=1&code=${code}&ziel=https%3A%2F%2Fevil.example%2F`, `/eservices-freischalten.html#code=${groupCode(code)}`],
            ['', '/eservices-freischalten.html'],
            ['?ziel=//evil.example/', '/eservices-freischalten.html'],
            ['?code=//evil.example/', '/eservices-freischalten.html#code-ungueltig'],
            ['?code=https%3A%2F%2Fevil.example%2F', '/eservices-freischalten.html#code-ungueltig'],
            ['?code=Z8TM-YQE6-H578%0D%0ALocation:%20https://evil.example/', '/eservices-freischalten.html#code-ungueltig'],
            ['?code=Z8TM-YQE6-H578%23x', '/eservices-freischalten.html#code-ungueltig'],
            ['?code=%E2%80%8BZ8TM', '/eservices-freischalten.html#code-ungueltig']
        ];
        for (const [q, loc] of cases) {
            const r = await get(q);
            assert.equal(r.status, 303, `${q}: ${r.status} ${r.text.slice(0, 200)}`);
            assert.equal(r.headers.get('location'), loc, q);
            assert.equal(r.headers.get('cache-control'), 'no-store', q);
        }
        const post = await api.post('/link/freischaltcode?code=' + code, null, { headers: { Accept: 'text/html' } });
        assert.equal(post.status, 405);
        const sub = await get('/x?code=' + code);
        assert.equal(sub.status, 404);
    });

    test('no log line carries a Freischaltcode (access log scrubbed, error log clean)', async () => {
        const code = newCode();
        const r = await h.env.client().get(`/link/freischaltcode?code=${groupCode(code)}`, { jar: false });
        assert.equal(r.status, 303);
        const bad = await redeem(alice, code);       // unknown: 404, logged at info
        assert.equal(bad.status, 404);
        const logFile = path.join(h.env.root, 'apache', 'logs', 'access-test.log');
        const access = fs.readFileSync(logFile, 'utf8');
        assert.match(access, /"GET \/link\/freischaltcode\?code=entfernt HTTP\/1\.1" 303 q=\?code=entfernt/);
        const text = `${access}\n${h.env.errorLog()}`;
        for (const c of [code, groupCode(code), alice.code.code, alice.code.grouped]) {
            assert.ok(!text.includes(c), `a log contains the code ${c}`);
        }
    });
});

describe('throttling failed codes (per account and per client address)', () => {
    const h = useEnv();
    let jc, dave, erin;

    before(async () => {
        jc = await jobcenterWithStaff(h.env);
        dave = await authenticatedCitizen(h.env, 'dave');
        erin = await authenticatedCitizen(h.env, 'erin');
    });

    test('parallel failures all count', async () => {
        const rs = await Promise.all(Array.from({ length: 4 }, () => redeem(dave, newCode())));
        for (const r of rs) assertError(r, 404, 'fsc_invalid');
        assert.equal(await h.env.db.scalar(`SELECT failures FROM login_throttle WHERE client_key = 'fsc-a:${dave.id}'`), 4);
        assert.equal(await h.env.db.scalar("SELECT failures FROM login_throttle WHERE client_key = 'fsc-ip:127.0.0.1'"), 4);
    });

    test('per account: after the free failures each failure blocks; even the right code gets 429', async () => {
        // 5 free failures (JobcenterThrottleAccount 5 100 900 3600): the
        // 11th blocks for 2^(11-5-1) = 32 s
        await h.env.db.exec(`UPDATE login_throttle SET failures = 10 WHERE client_key = 'fsc-a:${dave.id}'`);
        let r = await redeem(dave, newCode());
        assertError(r, 404, 'fsc_invalid');
        const { code, id, cust } = await customerWithCode(h.env, jc);
        r = await redeem(dave, code);
        assertError(r, 429, 'too_many_attempts');
        const wait = Number(r.headers.get('retry-after'));
        assert.ok(wait >= 30 && wait <= 32, `Retry-After ${wait}`);
        assert.match(r.error.message, /^Zu viele ungültige Freischaltcodes\. Bitte warten Sie \d+ Sekunden/);
        assert.equal((await codeRow(h.env, id)).used_at, null);
        assert.equal((await customerRow(h.env, cust.id)).account_id, null);
        // another account from the same address is not blocked by dave's count
        r = await redeem(erin, code);
        assert.equal(r.status, 201, r.text);
    });

    test('per address: many failures from one address block every account there', async () => {
        // 20 free failures per address (JobcenterThrottleClient 20 900 900)
        await h.env.db.exec("UPDATE login_throttle SET failures = 29 WHERE client_key = 'fsc-ip:127.0.0.1'");
        const frank = await authenticatedCitizen(h.env, 'frank');
        let r = await redeem(frank, newCode());
        assertError(r, 404, 'fsc_invalid');
        const { code, id } = await customerWithCode(h.env, jc);
        r = await redeem(frank, code);
        assertError(r, 429, 'too_many_attempts');
        const wait = Number(r.headers.get('retry-after'));
        assert.ok(wait >= 500 && wait <= 512, `Retry-After ${wait}`);
        assert.equal((await codeRow(h.env, id)).used_at, null);
        // a failure older than the window is forgotten: the count starts again
        await h.env.db.exec("UPDATE login_throttle SET last_failure = last_failure - 1000, blocked_until = 0 "
            + "WHERE client_key = 'fsc-ip:127.0.0.1'");
        r = await redeem(frank, newCode());
        assertError(r, 404, 'fsc_invalid');
        assert.equal(await h.env.db.scalar("SELECT failures FROM login_throttle WHERE client_key = 'fsc-ip:127.0.0.1'"), 1);
        r = await redeem(frank, code);
        assert.equal(r.status, 201, r.text);
        assert.equal(await h.env.db.scalar(`SELECT count(*) FROM customer WHERE account_id = ${frank.id}`), 1);
    });
});

logTest();
