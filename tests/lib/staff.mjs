// Staff side of the tests: the admin tool (build/jobcenter-admin) run
// against the environment's own database, staff logins with the mandatory
// second factor (TOTP codes from npm otplib), and reading letters back
// (pdftotext, pdftoppm + zbarimg from Debian's poppler-utils/zbar-tools).
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { generate } from 'otplib';
import { run, randomId, nowSec, sha256hex } from './util.mjs';
import { TOP } from './env.mjs';
import { strongPassword, addTotp } from './flows.mjs';

export const ADMIN = path.join(TOP, 'build', 'jobcenter-admin');

// --sqlite FILE / --pgsql PARAMS of an environment
export function dbArgs(env) {
    return env.dbKind === 'pgsql'
        ? ['--pgsql', `host=${env.pg.host} port=${env.pg.port} dbname=${env.pg.dbname} user=jc`]
        : ['--sqlite', env.sqliteFile];
}

// Run the tool: {code, stdout, stderr, out} (out: "key: value" lines).
export async function admin(env, args, { db = true } = {}) {
    const r = await run(ADMIN, [...(db ? dbArgs(env) : []), ...args], { check: false, timeoutMs: 30000 });
    const out = {};
    for (const line of r.stdout.split('\n')) {
        const m = /^([a-z -]+): (.*)$/.exec(line);
        if (m) out[m[1]] = m[2];
    }
    return { ...r, out };
}

// admin() that must succeed
export async function adminOk(env, args) {
    const r = await admin(env, args);
    assert.equal(r.code, 0, `jobcenter-admin ${args.join(' ')}: exit ${r.code}\n${r.stderr}${r.stdout}`);
    return r;
}

export async function addJobcenter(env, name, postcodes) {
    return adminOk(env, ['jobcenter-add', '--name', name, '--street', 'Alter Postplatz 10',
        '--postcode', postcodes[0], '--city', 'Waiblingen', '--phone', '07151 9519-0',
        '--hours', 'Mo–Fr 8:00–12:00;Do 14:00–18:00', '--postcodes', postcodes.join(',')]);
}

// A staff account from `jobcenter-admin staff-add`; resolves {email,
// password, onetimePassword, validUntil, id}. The tool prints a one-time
// password that must be replaced at the first login (session state
// password_change_required). Unless firstLogin is false, this does that
// forced change through the API (login, POST onetime/password, logout), so
// `password` is an own password and the next login is the usual one
// (mfa_setup_required). With firstLogin: false, `password` is the one-time
// password and the account still waits for the change.
export async function addStaff(env, jobcenter, { role = 'sachbearbeitung', team = 'leistung', tag = 'sb',
    firstLogin = true, extra = [] } = {}) {
    const email = `${tag}-${randomId(4)}@jobcenter.example`;
    const r = await adminOk(env, ['staff-add', '--jobcenter', jobcenter, '--email', email,
        '--name', `Staff ${tag}`, '--team', team, '--role', role, ...extra]);
    const onetimePassword = r.out['one-time password'];
    assert.ok(onetimePassword, `no one-time password in: ${r.stdout}`);
    const staff = { email, password: onetimePassword, onetimePassword, validUntil: r.out['valid until'],
        id: Number(r.out.account) };
    if (firstLogin) staff.password = await replaceOnetimePassword(env, staff);
    return staff;
}

// The forced first-login change of a staff account through the API;
// resolves the new own password.
export async function replaceOnetimePassword(env, staff, password = strongPassword()) {
    const c = env.client();
    const l = await c.post('/api/v1/login', { login: staff.email, password: staff.onetimePassword });
    assert.equal(l.status, 200, l.text);
    assert.equal(l.json.state, 'password_change_required', l.text);
    const r = await c.post('/api/v1/onetime/password', { password, password_repeat: password }, { csrf: true });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.state, 'mfa_setup_required', r.text);
    const o = await c.post('/api/v1/logout', {}, { csrf: true });
    assert.ok(o.status === 200 || o.status === 204, o.text);
    return password;
}

// Log in with password, set up TOTP on the first login (mfa_setup_required)
// or pass it (mfa_required); resolves an authenticated client. user.secret
// is remembered; user.step the last TOTP step used (replay rule).
export async function loginFull(env, user) {
    const c = env.client();
    const r = await c.post('/api/v1/login', { login: user.email, password: user.password });
    assert.equal(r.status, 200, r.text);
    if (r.json.state === 'mfa_setup_required') {
        user.step = Math.floor(nowSec() / 30);
        user.secret = (await addTotp(c, { epoch: user.step * 30 })).secret;
    } else {
        assert.equal(r.json.state, 'mfa_required', r.text);
        // a step not used before (the window accepts now-1..now+1)
        user.step = Math.max(Math.floor(nowSec() / 30) - 1, (user.step ?? 0) + 1);
        const code = await generate({ secret: user.secret, epoch: user.step * 30 });
        const v = await c.post('/api/v1/mfa/totp/verify', { code }, { csrf: true });
        assert.equal(v.status, 200, v.text);
    }
    const me = await c.get('/api/v1/me');
    assert.equal(me.json.session.state, 'authenticated', me.text);
    c.accountId = me.json.account.id;
    return c;
}

// A customer body that passes every rule
export function customerBody(extra = {}) {
    return { salutation: 'Frau', given_name: 'Erika', family_name: `Mustermann-${randomId(3)}`,
        birth_date: '1985-04-12', street: 'Bahnhofstraße 1', postcode: '71332', city: 'Waiblingen', ...extra };
}

// POST a customer (201 expected); resolves the customer object.
export async function createCustomer(c, extra = {}) {
    const r = await c.post('/api/v1/staff/customers', customerBody(extra), { csrf: true });
    assert.equal(r.status, 201, r.text);
    return r.json.customer;
}

// POST .../freischaltcode as raw bytes: {status, type, pdf (Buffer), headers, text}
export async function issueCode(env, c, customerId, { csrf = true } = {}) {
    const headers = { Origin: env.base, Cookie: c.jar.header(), Accept: 'application/pdf' };
    if (csrf) headers['X-CSRF-Token'] = c.csrf;
    const res = await fetch(`${env.base}/api/v1/staff/customers/${customerId}/freischaltcode`,
        { method: 'POST', headers, signal: AbortSignal.timeout(30000) });
    const buf = Buffer.from(await res.arrayBuffer());
    return { status: res.status, type: res.headers.get('content-type') || '', pdf: buf, headers: res.headers,
        text: buf.toString('utf8'), json: (res.headers.get('content-type') || '').includes('json')
            ? JSON.parse(buf.toString('utf8')) : null };
}

// The text of a PDF (pdftotext -layout) and what its QR code encodes
// (pdftoppm -r 150, zbarimg --raw -q). dir: a scratch directory.
export async function readLetter(pdf, dir) {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `letter-${randomId(4)}.pdf`);
    fs.writeFileSync(file, pdf);
    const text = (await run('pdftotext', ['-layout', file, '-'])).stdout;
    const prefix = file.replace(/\.pdf$/, '');
    await run('pdftoppm', ['-r', '150', '-png', file, prefix]);
    const pngs = fs.readdirSync(dir).filter((f) => f.startsWith(path.basename(prefix)) && f.endsWith('.png'))
        .map((f) => path.join(dir, f));
    const z = await run('zbarimg', ['--raw', '-q', ...pngs], { check: false });
    return { text, qr: z.stdout.split('\n').filter(Boolean), file };
}

export { sha256hex };
