// Staff side of issue 4 over HTTP: the admin tool creates jobcenters and
// staff in the environment's own database; staff log in with password and
// TOTP (otplib), create customers (every validation error), search them,
// issue Freischaltcodes whose letter is a real PDF holding the code and a
// QR code that zbarimg reads back as the redeem link; a new code voids the
// old one; citizens, staff of another jobcenter and disabled staff are
// refused (API 403 JSON, pages 403 German HTML) without [error] lines.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { useEnv, logTest } from '../lib/env.mjs';
import { uniqueEmail, schemaVersion, sessionCacheSettled } from '../lib/util.mjs';
import { lit, openDb } from '../lib/db.mjs';
import { psqlAdmin } from '../lib/pg.mjs';
import { randomId } from '../lib/util.mjs';
import { strongPassword, assertError, registerAndConfirm } from '../lib/flows.mjs';
import { admin, adminOk, addJobcenter, addStaff, loginFull, customerBody, createCustomer, issueCode,
    readLetter, sha256hex } from '../lib/staff.mjs';
import { KUNDENNUMMER_NEW, ONETIME_PASSWORD } from '../lib/fixtures.mjs';

const JC_A = 'Jobcenter Rems-Murr';
const JC_B = 'Jobcenter Ostalbkreis';
const nowSec = () => Math.floor(Date.now() / 1000);
const browser = { Accept: 'text/html,application/xhtml+xml' };

describe('staff: admin tool, customers, Freischaltcode letters', () => {
    const h = useEnv();
    const s = {};
    const scratch = () => path.join(h.env.root, 'letters');

    test('admin tool: jobcenters (validation, duplicates, list)', async () => {
        const env = h.env;
        await addJobcenter(env, JC_A, ['71332', '71334']);
        await addJobcenter(env, JC_B, ['73430']);
        // every field validated, English messages, exit 1, nothing created
        let r = await admin(env, ['jobcenter-add', '--name', 'X', '--street', 'S', '--postcode', '7133',
            '--city', '', '--phone', 'T', '--hours', 'H', '--postcodes', '71336,1']);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /--postcode: a postcode is five digits/);
        assert.match(r.stderr, /--city: the city is missing/);
        assert.match(r.stderr, /--postcodes: every postcode served is five digits/);
        r = await admin(env, ['jobcenter-add', '--name', JC_A, '--street', 'S', '--postcode', '71336',
            '--city', 'C', '--phone', 'T', '--hours', 'H', '--postcodes', '71336']);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /a jobcenter with this name exists/);
        r = await admin(env, ['jobcenter-add', '--name', 'Jobcenter Y', '--street', 'S', '--postcode', '71336',
            '--city', 'C', '--phone', 'T', '--hours', 'H', '--postcodes', '71332']);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /already served by another jobcenter/);
        assert.equal(Number(await env.db.scalar('SELECT count(*) FROM jobcenter')), 2);
        // usage errors: exit 2
        assert.equal((await admin(env, ['jobcenter-add', '--name', 'Z'])).code, 2);
        assert.equal((await admin(env, ['jobcenter-list', '--bogus', '1'])).code, 2);
        assert.equal((await admin(env, ['no-such-command'])).code, 2);
        assert.equal((await admin(env, ['jobcenter-list'], { db: false })).code, 2);
        const list = await adminOk(env, ['jobcenter-list']);
        assert.match(list.stdout, /Jobcenter Rems-Murr\tAlter Postplatz 10, 71332 Waiblingen\t07151 9519-0\t.*postcodes 71332,71334/);
        assert.match(list.stdout, /Jobcenter Ostalbkreis/);
        const rows = await env.db.query(`SELECT opening_hours FROM jobcenter WHERE name = ${lit(JC_A)}`);
        assert.equal(rows[0].opening_hours, 'Mo–Fr 8:00–12:00\nDo 14:00–18:00');
    });

    test('admin tool: staff (one-time password meets the rules, confirmed account, list)', async () => {
        const env = h.env;
        // addStaff also does the forced first-login change (staff-onetime.test.mjs tests it)
        s.a = await addStaff(env, JC_A, { tag: 'sb-a' });
        s.admin = await addStaff(env, JC_A, { tag: 'admin-a', role: 'admin', team: 'vermittlung' });
        s.b = await addStaff(env, JC_B, { tag: 'sb-b', team: 'but' });
        s.off = await addStaff(env, JC_A, { tag: 'off-a' });
        for (const u of [s.a, s.admin, s.b]) {
            // four groups of the phone alphabet, e.g. kR7a-3mfT-Wn9E-hXt4
            assert.match(u.onetimePassword, ONETIME_PASSWORD);
            assert.match(u.onetimePassword, /[A-Z]/);
            assert.match(u.onetimePassword, /[a-z]/);
            assert.match(u.onetimePassword, /[0-9]/);
        }
        const acc = await env.db.query(`SELECT email_confirmed_at, password_change_required FROM account WHERE email = ${lit(s.a.email)}`);
        assert.ok(acc[0].email_confirmed_at > 0);
        let r = await admin(env, ['staff-add', '--jobcenter', JC_A, '--email', s.a.email, '--name', 'N',
            '--team', 'leistung', '--role', 'sachbearbeitung']);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /an account with this e-mail address exists/);
        r = await admin(env, ['staff-add', '--jobcenter', 'Jobcenter Nirgendwo', '--email', 'x@jobcenter.example',
            '--name', 'N', '--team', 'leistung', '--role', 'sachbearbeitung']);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /no jobcenter with this name/);
        r = await admin(env, ['staff-add', '--jobcenter', JC_A, '--email', 'kein-at', '--name', '',
            '--team', 'chef', '--role', 'boss']);
        assert.equal(r.code, 1);
        for (const re of [/--email: not a valid e-mail address/, /--display-name: the display name is missing/,
            /--team: the team is leistung, but or vermittlung/, /--role: the role is sachbearbeitung or admin/]) {
            assert.match(r.stderr, re);
        }
        const list = await adminOk(env, ['staff-list']);
        assert.match(list.stdout, new RegExp(`${s.a.email}\\tStaff sb-a\\tleistung\\tsachbearbeitung\\t${JC_A}\\tno-second-factor-yet\\tactive`));
        assert.match(list.stdout, new RegExp(`${s.admin.email}\\t.*\\tvermittlung\\tadmin\\t`));
    });

    test('staff log in with password and the mandatory second factor; GET staff/me', async () => {
        const env = h.env;
        // before the second factor: staff routes refused (state), pages go to the login
        const half = env.client();
        const lr = await half.post('/api/v1/login', { login: s.a.email, password: s.a.password });
        assert.equal(lr.json.state, 'mfa_setup_required');
        assertError(await half.get('/api/v1/staff/me'), 403, 'state_insufficient');
        const pg = await half.get('/sachbearbeitung/', { headers: browser });
        assert.equal(pg.status, 303);
        assert.match(pg.headers.get('location'), /^\/anmeldung\.html\?ziel=%2Fsachbearbeitung%2F/);

        s.ca = await loginFull(env, s.a);
        s.cadmin = await loginFull(env, s.admin);
        s.cb = await loginFull(env, s.b);
        const me = await s.ca.get('/api/v1/staff/me');
        assert.equal(me.status, 200, me.text);
        assert.equal(me.json.display_name, 'Staff sb-a');
        assert.equal(me.json.role, 'sachbearbeitung');
        assert.equal(me.json.team_text, 'Leistung allgemein');
        assert.equal(me.json.jobcenter.name, JC_A);
        assert.equal((await s.cadmin.get('/api/v1/staff/me')).json.role, 'admin');
        // the staff pages (admin implies sachbearbeitung)
        for (const c of [s.ca, s.cadmin]) {
            const p = await c.get('/sachbearbeitung/', { headers: browser });
            assert.equal(p.status, 200);
            assert.match(p.text, /Kundinnen und Kunden/);
        }
    });

    test('create a customer: 201, Kundennummer in the seed format, row and audit in the database', async () => {
        const env = h.env;
        const c = await createCustomer(s.ca, { given_name: '  Erika ', family_name: 'Mustermann' });
        assert.match(c.kundennummer, KUNDENNUMMER_NEW);
        assert.equal(c.given_name, 'Erika');
        assert.equal(c.bound, false);
        const rows = await env.db.query(`SELECT c.*, j.name AS jc FROM customer c JOIN jobcenter j ON j.id = c.jobcenter_id WHERE c.id = ${c.id}`);
        assert.equal(rows[0].jc, JC_A);
        assert.equal(rows[0].kundennummer, c.kundennummer);
        assert.equal(rows[0].birth_date, '1985-04-12');
        assert.equal(rows[0].created_by, s.ca.accountId);
        const audit = await env.db.query(`SELECT action, staff_account FROM staff_audit WHERE customer_id = ${c.id}`);
        assert.deepEqual(audit.map((a) => a.action), ['customer_created']);
        s.erika = c;
        const get = await s.ca.get(`/api/v1/staff/customers/${c.id}`);
        assert.equal(get.status, 200, get.text);
        assert.equal(get.json.customer.kundennummer, c.kundennummer);
        assert.deepEqual(get.json.codes, []);
    });

    test('create a customer: every validation error (422 with details), nothing created', async () => {
        const env = h.env;
        const before = Number(await env.db.scalar('SELECT count(*) FROM customer'));
        const today = new Date();
        const iso = (d) => d.toISOString().slice(0, 10);
        const tomorrow = new Date(today.getTime() + 86400000);
        const cases = [
            [{ salutation: 'Dr.' }, 'salutation_invalid', 'salutation'],
            [{ given_name: '' }, 'given_name_missing', 'given_name'],
            [{ given_name: '   ' }, 'given_name_missing', 'given_name'],
            [{ given_name: 'x'.repeat(101) }, 'given_name_invalid', 'given_name'],
            [{ given_name: 'Eri\u0007ka' }, 'given_name_invalid', 'given_name'],
            [{ family_name: undefined }, 'family_name_missing', 'family_name'],
            [{ family_name: 'a\nb' }, 'family_name_invalid', 'family_name'],
            [{ birth_date: '' }, 'birth_date_missing', 'birth_date'],
            [{ birth_date: '12.04.1985' }, 'birth_date_invalid', 'birth_date'],
            [{ birth_date: '1985-02-30' }, 'birth_date_invalid', 'birth_date'],
            [{ birth_date: '1985-13-01' }, 'birth_date_invalid', 'birth_date'],
            [{ birth_date: '2023-02-29' }, 'birth_date_invalid', 'birth_date'],
            [{ birth_date: iso(tomorrow) }, 'birth_date_future', 'birth_date'],
            [{ birth_date: iso(today) }, 'birth_date_future', 'birth_date'],
            [{ birth_date: '1890-01-01' }, 'birth_date_implausible', 'birth_date'],
            [{ street: '' }, 'street_missing', 'street'],
            [{ street: 's'.repeat(101) }, 'street_invalid', 'street'],
            [{ postcode: '' }, 'postcode_missing', 'postcode'],
            [{ postcode: '7133' }, 'postcode_invalid', 'postcode'],
            [{ postcode: '71332a' }, 'postcode_invalid', 'postcode'],
            [{ postcode: '7I332' }, 'postcode_invalid', 'postcode'],
            [{ city: '' }, 'city_missing', 'city'],
            [{ city: 'c'.repeat(101) }, 'city_invalid', 'city']
        ];
        for (const [change, code, field] of cases) {
            const body = customerBody(change);
            for (const k of Object.keys(change)) if (change[k] === undefined) delete body[k];
            const r = await s.ca.post('/api/v1/staff/customers', body, { csrf: true });
            assertError(r, 422, 'validation_failed', JSON.stringify(change));
            assert.equal(r.error.field, field, JSON.stringify(change));
            assert.deepEqual(r.error.details.map((d) => d.code), [code], JSON.stringify(change));
            assert.ok(r.error.details[0].message.length > 10);
        }
        // several at once: all reported, in form order
        const r = await s.ca.post('/api/v1/staff/customers', { given_name: '', postcode: 'x' }, { csrf: true });
        assertError(r, 422, 'validation_failed');
        assert.deepEqual(r.error.details.map((d) => d.code), ['given_name_missing', 'family_name_missing',
            'birth_date_missing', 'street_missing', 'postcode_invalid', 'city_missing']);
        // a leap day that exists and non-ASCII names are fine
        await createCustomer(s.ca, { birth_date: '1984-02-29', given_name: 'Łucja', family_name: 'Żółć-Müller',
            salutation: '' });
        assert.equal(Number(await env.db.scalar('SELECT count(*) FROM customer')), before + 1);
        // body and CSRF rules of the API apply
        assertError(await s.ca.post('/api/v1/staff/customers', customerBody(), { csrf: 'x' }), 403, 'csrf_failed');
        assertError(await s.ca.post('/api/v1/staff/customers', customerBody(), { csrf: true, origin: 'http://evil.example' }),
            403, 'csrf_failed');
        assertError(await s.ca.post('/api/v1/staff/customers', null, { csrf: true, raw: '[]' }), 400, 'malformed_json');
        assert.equal(Number(await env.db.scalar('SELECT count(*) FROM customer')), before + 1);
    });

    test('new Kundennummern: the letter only from the phone alphabet (no I, O, S, Z, B, G, D, Q), digits 0-9', async () => {
        // 24 customers: with the old letters A-Z all 24 would avoid the 8
        // look-alikes with probability (18/26)^24 < 0.0002
        const seen = new Set();
        for (let i = 0; i < 24; i++) {
            const c = await createCustomer(s.ca, { family_name: `Telefon-${i}`, given_name: 'Anna' });
            assert.match(c.kundennummer, KUNDENNUMMER_NEW);
            seen.add(c.kundennummer[3]);
        }
        assert.ok(seen.size >= 5, `letters drawn: ${[...seen].join('')}`);
    });

    test('list and search: own jobcenter only, Kundennummer, postcode, name prefix, pages', async () => {
        const env = h.env;
        const made = [];
        for (const n of ['Aalberg', 'Beispiel', 'Cramer']) made.push(await createCustomer(s.ca, { family_name: `Suchtest-${n}`, given_name: 'Anna' }));
        const other = await createCustomer(s.cb, { family_name: 'Fremdling', given_name: 'Suchtest' });
        s.other = other;
        let r = await s.ca.get('/api/v1/staff/customers?q=suchtest&per_page=2');
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.total, 3);
        assert.equal(r.json.total_more, false);
        assert.deepEqual(r.json.customers.map((c) => c.family_name), ['Suchtest-Aalberg', 'Suchtest-Beispiel']);
        r = await s.ca.get('/api/v1/staff/customers?q=suchtest&per_page=2&page=2');
        assert.deepEqual(r.json.customers.map((c) => c.family_name), ['Suchtest-Cramer']);
        // a Kundennummer: any case, with or without spaces
        const k = made[1].kundennummer;
        r = await s.ca.get(`/api/v1/staff/customers?q=${k.toLowerCase()}`);
        assert.deepEqual(r.json.customers.map((c) => c.id), [made[1].id]);
        r = await s.ca.get('/api/v1/staff/customers?q=' + encodeURIComponent(` ${k.slice(0, 3)} ${k.slice(3, 4)} ${k.slice(4)} `));
        assert.deepEqual(r.json.customers.map((c) => c.id), [made[1].id]);
        assert.equal(r.json.total, 1);
        // a Kundennummer issued before the phone alphabet (letter S, O, I)
        // stays valid: found with or without spaces, in any case
        for (const [old, qs] of [['123S456789', ['123S456789', '123 s 456789', '123s 456 789']],
            ['404O000001', ['404o000001', '404 O 000001']], ['771I123456', ['771 i 123456']]]) {
            const oc = await createCustomer(s.ca, { family_name: 'Altnummer', given_name: 'Anna' });
            await env.db.exec(`UPDATE customer SET kundennummer = ${lit(old)} WHERE id = ${oc.id}`);
            for (const q of qs) {
                r = await s.ca.get('/api/v1/staff/customers?q=' + encodeURIComponent(q));
                assert.equal(r.status, 200, r.text);
                assert.deepEqual(r.json.customers.map((c) => [c.id, c.kundennummer]), [[oc.id, old]], q);
            }
        }
        // "family given", case- and umlaut-insensitive prefix
        r = await s.ca.get('/api/v1/staff/customers?q=' + encodeURIComponent('SUCHTEST-cramer ann'));
        assert.deepEqual(r.json.customers.map((c) => c.family_name), ['Suchtest-Cramer']);
        r = await s.ca.get('/api/v1/staff/customers?q=' + encodeURIComponent('Suchtest-Cramer, Anna'));
        assert.deepEqual(r.json.customers.map((c) => c.family_name), ['Suchtest-Cramer']);
        const u = await createCustomer(s.ca, { family_name: 'Großmüller-Çelik', given_name: 'Zoë', postcode: '99441' });
        for (const q of ['grossmueller', 'GROSSMÜLLER-ÇEL', 'Großmueller-celik zo', 'grossmüller-celik zoe'])
            assert.deepEqual((await s.ca.get('/api/v1/staff/customers?q=' + encodeURIComponent(q))).json.customers
                .map((c) => c.id), [u.id], q);
        // a postcode (five digits)
        r = await s.ca.get('/api/v1/staff/customers?q=99441');
        assert.ok(r.json.customers.some((c) => c.id === u.id), r.text);
        assert.ok(r.json.customers.every((c) => c.postcode === '99441'), r.text);
        // no substring match; LIKE wildcards are plain characters
        r = await s.ca.get('/api/v1/staff/customers?q=cramer');
        assert.equal(r.json.total, 0);
        r = await s.ca.get('/api/v1/staff/customers?q=%25');
        assert.equal(r.json.total, 0);
        r = await s.ca.get('/api/v1/staff/customers?q=Fremdling');
        assert.equal(r.json.total, 0, 'another jobcenter\'s customer was listed');
        r = await s.ca.get('/api/v1/staff/customers');
        const total = Number(await env.db.scalar(`SELECT count(*) FROM customer c JOIN jobcenter j ON j.id = c.jobcenter_id WHERE j.name = ${lit(JC_A)}`));
        assert.equal(r.json.total, total);
        assertError(await s.ca.get('/api/v1/staff/customers?page=0'), 422, 'page_invalid');
        assertError(await s.ca.get('/api/v1/staff/customers?per_page=101'), 422, 'page_invalid');
        assertError(await s.ca.get('/api/v1/staff/customers?q=' + 'x'.repeat(101)), 422, 'query_invalid');
        assertError(await s.ca.get('/api/v1/staff/customers/999999'), 404, 'customer_unknown');
        assertError(await s.ca.get('/api/v1/staff/customers/01'), 404, 'not_found');
        assertError(await s.ca.get('/api/v1/staff/customers/abc'), 404, 'not_found');
        const m = await s.ca.request('PUT', '/api/v1/staff/customers', {}, { csrf: true });
        assert.equal(m.status, 405);
        assert.equal(m.headers.get('allow'), 'GET, HEAD, POST');
    });

    test('a Sachbearbeiterin with 200 cases: pages of 50 in name order', async () => {
        const n = 200;
        for (let i = 0; i < n; i += 10) {
            await Promise.all(Array.from({ length: 10 }, (_, k) => createCustomer(s.cadmin, {
                given_name: 'Hundert', family_name: `Hundertfall-${String(i + k).padStart(3, '0')}` })));
        }
        const pages = [];
        for (let page = 1; page <= 5; page++) {
            const r = await s.ca.get(`/api/v1/staff/customers?q=hundert&page=${page}`);
            assert.equal(r.status, 200, r.text);
            assert.equal(r.json.total, n);
            assert.equal(r.json.per_page, 50);
            pages.push(r.json.customers.map((c) => c.family_name));
        }
        assert.deepEqual(pages.map((p) => p.length), [50, 50, 50, 50, 0]);
        // a page that is not full gives the total itself (offset + rows,
        // no count); a page past the end still counts
        for (const [q, rows] of [['per_page=30&page=7', 20], ['per_page=30&page=1', 30], ['per_page=100&page=3', 0]]) {
            const r = await s.ca.get(`/api/v1/staff/customers?q=hundert&${q}`);
            assert.equal(r.json.customers.length, rows, q);
            assert.equal(r.json.total, n, q);
            assert.equal(r.json.total_more, false, q);
        }
        const one = await s.ca.get('/api/v1/staff/customers?q=hundertfall-007');
        assert.deepEqual([one.json.total, one.json.customers.length], [1, 1]);
        assert.deepEqual(pages.flat(), Array.from({ length: n }, (_, i) => `Hundertfall-${String(i).padStart(3, '0')}`));
    });

    test('issue a Freischaltcode: the letter is a PDF with the code and a QR code of the redeem link', async () => {
        const env = h.env;
        const t0 = nowSec();
        const r = await issueCode(env, s.ca, s.erika.id);
        assert.equal(r.status, 201, r.text.slice(0, 300));
        assert.equal(r.type, 'application/pdf');
        assert.equal(r.headers.get('cache-control'), 'no-store');
        assert.match(r.headers.get('content-disposition'), new RegExp(`attachment; filename="Freischaltcode-${s.erika.kundennummer}\\.pdf"`));
        assert.equal(r.pdf.subarray(0, 5).toString(), '%PDF-');
        const letter = await readLetter(r.pdf, scratch());
        const m = /\b([A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4})\b/.exec(letter.text);
        assert.ok(m, `no grouped code in the letter:\n${letter.text}`);
        const code = m[1];
        assert.match(letter.text, new RegExp(`Kundennummer: ${s.erika.kundennummer}`));
        assert.match(letter.text, /Frau Erika Mustermann/);
        assert.match(letter.text, /Bahnhofstraße 1/);
        assert.match(letter.text, /Jobcenter Rems-Murr/);
        const exp = Number(r.headers.get('x-freischaltcode-expires'));
        assert.ok(Math.abs(exp - (t0 + 42 * 86400)) < 60, 'default validity is 42 days');
        const d = new Date(exp * 1000);
        const de = `${String(d.getDate()).padStart(2, '0')}.${String(d.getMonth() + 1).padStart(2, '0')}.${d.getFullYear()}`;
        assert.match(letter.text, new RegExp(`Der Freischaltcode ist gültig bis zum: ${de.replace(/\./g, '\\.')}`));
        // the QR code, read by an independent decoder, is the redeem link
        assert.deepEqual(letter.qr, [`${env.base}/link/freischaltcode?code=${code}`]);
        // only the hash is stored
        const rows = await env.db.query(`SELECT code_hash, expires_at, used_at, voided_at, created_by FROM freischaltcode WHERE customer_id = ${s.erika.id}`);
        assert.equal(rows.length, 1);
        assert.equal(rows[0].code_hash, sha256hex(code.replace(/-/g, '')));
        assert.equal(rows[0].expires_at, exp);
        assert.equal(rows[0].voided_at, null);
        assert.equal(rows[0].created_by, s.ca.accountId);
        const audit = await env.db.query(`SELECT action FROM staff_audit WHERE customer_id = ${s.erika.id} ORDER BY id`);
        assert.deepEqual(audit.map((a) => a.action), ['customer_created', 'freischaltcode_issued']);
        assert.doesNotMatch(env.errorLog(), new RegExp(code.replace(/-/g, '-?')), 'the code is in the error log');
        s.code1 = code;
    });

    test('a new code voids the older unused one (one transaction); the customer page lists both', async () => {
        const env = h.env;
        const r = await issueCode(env, s.ca, s.erika.id);
        assert.equal(r.status, 201);
        const code2 = /([A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4})/.exec((await readLetter(r.pdf, scratch())).text)[1];
        assert.notEqual(code2, s.code1);
        const rows = await env.db.query(`SELECT code_hash, voided_at, used_at FROM freischaltcode WHERE customer_id = ${s.erika.id} ORDER BY id`);
        assert.equal(rows.length, 2);
        assert.equal(rows[0].code_hash, sha256hex(s.code1.replace(/-/g, '')));
        assert.ok(rows[0].voided_at > 0, 'the old code was not voided');
        assert.equal(rows[1].code_hash, sha256hex(code2.replace(/-/g, '')));
        assert.equal(rows[1].voided_at, null);
        const get = await s.ca.get(`/api/v1/staff/customers/${s.erika.id}`);
        assert.deepEqual(get.json.codes.map((k) => k.state), ['open', 'voided']);
        // a bound customer gets no new code
        await env.db.exec(`UPDATE customer SET account_id = ${s.ca.accountId}, bound_at = 1 WHERE id = ${s.erika.id}`);
        const b = await issueCode(env, s.ca, s.erika.id);
        assert.equal(b.status, 409);
        assert.equal(b.json.error.code, 'customer_bound');
        await env.db.exec(`UPDATE customer SET account_id = NULL, bound_at = NULL WHERE id = ${s.erika.id}`);
        assert.equal(Number(await env.db.scalar(`SELECT count(*) FROM freischaltcode WHERE customer_id = ${s.erika.id}`)), 2);
        // CSRF applies to issuing
        const x = await issueCode(env, s.ca, s.erika.id, { csrf: false });
        assert.equal(x.status, 403);
        assert.equal(x.json.error.code, 'csrf_failed');
    });

    test('staff of jobcenter B can neither see nor issue for jobcenter A\'s customer', async () => {
        const env = h.env;
        assertError(await s.cb.get(`/api/v1/staff/customers/${s.erika.id}`), 404, 'customer_unknown');
        const r = await issueCode(env, s.cb, s.erika.id);
        assert.equal(r.status, 404);
        assert.equal(r.json.error.code, 'customer_unknown');
        assertError(await s.ca.get(`/api/v1/staff/customers/${s.other.id}`), 404, 'customer_unknown');
        const n = Number(await env.db.scalar(`SELECT count(*) FROM freischaltcode WHERE customer_id = ${s.erika.id}`));
        assert.equal(n, 2);
    });

    test('a citizen session gets 403 on staff routes and pages (German page, JSON for XHR), no [error] logged', async () => {
        const env = h.env;
        const u = await registerAndConfirm(env, uniqueEmail('citizen'), strongPassword());
        const c = await loginFull(env, u);
        for (const [m, p] of [['GET', '/api/v1/staff/me'], ['GET', '/api/v1/staff/customers'],
            ['GET', `/api/v1/staff/customers/${s.erika.id}`]]) {
            assertError(await c.request(m, p), 403, 'staff_only', p);
        }
        assertError(await c.post('/api/v1/staff/customers', customerBody(), { csrf: true }), 403, 'staff_only');
        const i = await issueCode(env, c, s.erika.id);
        assert.equal(i.status, 403);
        assert.equal(i.json.error.code, 'staff_only');
        for (const p of ['/sachbearbeitung/', '/sachbearbeitung/kunde.html?id=1', '/sachbearbeitung/kunde-anlegen.html']) {
            const r = await c.get(p, { headers: browser });
            assert.equal(r.status, 403, p);
            assert.match(r.headers.get('content-type'), /^text\/html/);
            assert.match(r.text, /<html lang="de">/);
            assert.match(r.text, /Kein Zugriff/);
            const x = await c.get(p, { headers: { Accept: '*/*', 'X-Requested-With': 'XMLHttpRequest' } });
            assert.equal(x.status, 403);
            assert.equal(JSON.parse(x.text).error.code, 'staff_only');
        }
        assert.equal(Number(await env.db.scalar(`SELECT count(*) FROM freischaltcode WHERE customer_id = ${s.erika.id}`)), 2);
        assert.doesNotMatch(env.errorLog(), /AH0163[01]/);
    });

    test('disabled staff: sessions end at once, a new login is refused on routes and pages', async () => {
        const env = h.env;
        const c = await loginFull(env, s.off);
        assert.equal((await c.get('/api/v1/staff/me')).status, 200);
        const r = await adminOk(env, ['staff-disable', '--email', s.off.email]);
        assert.match(r.stdout, /disabled/);
        // the staff row is read on every request: refused at once; the
        // session itself (ended by the tool, another program on the
        // database) within JobcenterSessionCacheTTL
        const now = await c.get('/api/v1/staff/me');
        assert.ok(now.status === 403 || now.status === 401, now.text);
        await sessionCacheSettled();
        assertError(await c.get('/api/v1/staff/me'), 401, 'not_authenticated');
        assert.equal(Number(await env.db.scalar(`SELECT count(*) FROM session WHERE account_id = ${s.off.id}`)), 0);
        const c2 = await loginFull(env, s.off);
        assertError(await c2.get('/api/v1/staff/customers'), 403, 'staff_only');
        const p = await c2.get('/sachbearbeitung/', { headers: browser });
        assert.equal(p.status, 403);
        assert.match((await adminOk(env, ['staff-list'])).stdout, new RegExp(`${s.off.email}\\t.*\\tdisabled`));
        // the tool refuses to act for a disabled staff member
        const k = await admin(env, ['customer-add', '--staff', s.off.email, '--given-name', 'A', '--family-name', 'B',
            '--birth-date', '1990-01-01', '--street', 'S 1', '--postcode', '71332', '--city', 'W']);
        assert.equal(k.code, 1);
        assert.match(k.stderr, /is disabled/);
        assert.equal((await admin(env, ['staff-disable', '--email', 'nobody@jobcenter.example'])).code, 1);
    });

    test('admin tool: customer-add and code-issue write the letter; a second code voids the first', async () => {
        const env = h.env;
        const c = await adminOk(env, ['customer-add', '--staff', s.a.email, '--salutation', 'Herr',
            '--given-name', 'Max', '--family-name', 'Tool', '--birth-date', '1970-01-31', '--street', 'Weg 2',
            '--postcode', '71334', '--city', 'Waiblingen']);
        const knr = c.out.kundennummer;
        assert.match(knr, KUNDENNUMMER_NEW);
        const bad = await admin(env, ['customer-add', '--staff', s.a.email, '--given-name', 'Max', '--family-name', 'T',
            '--birth-date', '2999-01-01', '--street', 'Weg 2', '--postcode', '7133', '--city', 'W']);
        assert.equal(bad.code, 1);
        assert.match(bad.stderr, /--birth-date: the birth date must lie in the past/);
        assert.match(bad.stderr, /--postcode: a postcode is five digits/);
        const out = path.join(scratch(), 'tool-letter.pdf');
        const t0 = nowSec();
        const i1 = await adminOk(env, ['code-issue', '--staff', s.a.email, '--kundennummer', knr.toLowerCase(),
            '--base-url', 'https://portal.example/', '--out', out, '--valid-days', '7']);
        assert.match(i1.out.freischaltcode, /^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$/);
        assert.equal(i1.out.link, `https://portal.example/link/freischaltcode?code=${i1.out.freischaltcode}`);
        const fs = await import('node:fs');
        const letter = await readLetter(fs.readFileSync(out), scratch());
        assert.match(letter.text, new RegExp(i1.out.freischaltcode));
        assert.match(letter.text, /Herr Max Tool/);
        assert.deepEqual(letter.qr, [i1.out.link]);
        const exp = Number(await env.db.scalar(`SELECT f.expires_at FROM freischaltcode f JOIN customer c ON c.id = f.customer_id WHERE c.kundennummer = ${lit(knr)}`));
        assert.ok(Math.abs(exp - (t0 + 7 * 86400)) < 60);
        const i2 = await adminOk(env, ['code-issue', '--staff', s.a.email, '--kundennummer', knr,
            '--base-url', 'https://portal.example', '--out', out]);
        assert.equal(i2.out['voided older codes'], '1');
        // staff of B cannot issue for A's customer through the tool either
        const x = await admin(env, ['code-issue', '--staff', s.b.email, '--kundennummer', knr,
            '--base-url', 'https://portal.example', '--out', path.join(scratch(), 'x.pdf')]);
        assert.equal(x.code, 1);
        assert.match(x.stderr, /another jobcenter/);
        assert.equal((await admin(env, ['code-issue', '--staff', s.a.email, '--kundennummer', 'nope',
            '--base-url', 'https://portal.example', '--out', out])).code, 1);
        assert.equal((await admin(env, ['code-issue', '--staff', s.a.email, '--kundennummer', knr,
            '--base-url', 'ftp://x', '--out', out])).code, 2);
    });

    test('admin tool: db-upgrade on a current database changes nothing', async () => {
        const r = await adminOk(h.env, ['db-upgrade']);
        assert.match(r.stdout, new RegExp(`schema is at version ${schemaVersion()}, nothing to do`));
    });

    test('admin tool: db-init creates the schema in a new database (the same as tools/db-init.sh)', async () => {
        const env = h.env;
        let args, db;
        if (env.dbKind === 'pgsql') {
            const name = `jc_${randomId(6)}`;
            await psqlAdmin(env.pg, `CREATE DATABASE ${name} OWNER jc;`);
            args = ['--pgsql', `host=${env.pg.host} port=${env.pg.port} dbname=${name} user=jc`];
            db = openDb({ kind: 'pgsql', host: env.pg.host, port: env.pg.port, dbname: name });
        } else {
            const file = path.join(env.root, 'tool-init.sqlite');
            args = ['--sqlite', file];
            db = openDb({ kind: 'sqlite', file });
            // a missing file is not created by the other commands
            const x = await admin(env, ['--sqlite', file, 'jobcenter-list'], { db: false });
            assert.equal(x.code, 1);
            assert.match(x.stderr, /no such database/);
        }
        const r = await admin(env, [...args, 'db-init'], { db: false });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`schema created \\(version ${schemaVersion()}\\)`));
        assert.equal(Number(await db.scalar('SELECT version FROM jc_schema')), schemaVersion());
        const again = await admin(env, [...args, 'db-upgrade'], { db: false });
        assert.match(again.stdout, /nothing to do/);
        // and the tool works on it
        const j = await admin(env, [...args, 'jobcenter-add', '--name', 'Jobcenter Neu', '--street', 'S 1',
            '--postcode', '10115', '--city', 'Berlin', '--phone', '030 1', '--hours', 'Mo 8-12',
            '--postcodes', '10115'], { db: false });
        assert.equal(j.code, 0, j.stderr);
        assert.equal(await db.scalar('SELECT name FROM jobcenter'), 'Jobcenter Neu');
        if (env.dbKind === 'sqlite') {
            assert.equal(await db.scalar('PRAGMA journal_mode'), 'wal');
        }
    });
});

logTest();
