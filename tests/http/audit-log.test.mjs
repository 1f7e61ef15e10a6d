// The audit log (issue 17, docs/logs.md "Audit log"): JobcenterAuditLog
// (the generated config: logs/jobcenter-audit.log) gets one JSON line per
// state-changing API call and per staff call -- ts (UTC ISO-8601), node,
// actor {type, id}, action ("POST login"), target {type, id|name}, result,
// status, events, request_id, client_ip. A citizen's journey (register,
// confirm, failed and good logins, TOTP set-up, upload, password change,
// logout), a staff member viewing a customer and issuing a Freischaltcode,
// and a citizen refused on a staff route are each found with the right
// actor and target; reading calls of a citizen (GET me) are not logged.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { useEnv, logTest } from '../lib/env.mjs';
import { uniqueEmail } from '../lib/util.mjs';
import { strongPassword, registerAndConfirm } from '../lib/flows.mjs';
import { jobcenterWithStaff, createCustomer } from '../lib/fixtures.mjs';
import { citizenWithProfile, staffOf, newDraft, uploadRaw, samples } from '../lib/uploads.mjs';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function auditLines(env) {
    const file = path.join(env.apacheRoot, 'logs', 'jobcenter-audit.log');
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(text.endsWith('\n'), 'every line ends in a newline');
    return text.split('\n').filter(Boolean).map((l) => {
        const o = JSON.parse(l);          // every line one JSON object
        assert.match(o.ts, ISO, l);
        assert.equal(typeof o.node, 'string', l);
        assert.ok(o.node.length > 0, l);
        assert.ok(['account', 'staff', 'anonymous'].includes(o.actor.type), l);
        assert.match(o.action, /^(GET|POST) [a-z]/, l);
        assert.ok(['ok', 'denied', 'failed', 'error'].includes(o.result), l);
        assert.equal(typeof o.status, 'number', l);
        assert.match(o.request_id, /^\S+$/, l);
        assert.equal(o.client_ip, '127.0.0.1', l);
        return o;
    });
}

// the lines of action since index `from` matching pred
const find = (lines, action, pred = () => true) => lines.filter((o) => o.action === action && pred(o));

describe('audit log', () => {
    const h = useEnv();

    test('a citizen\'s journey: who did what to which account, with the result', async () => {
        const env = h.env;
        const t0 = Date.now();
        const email = uniqueEmail('audit');
        const u = await registerAndConfirm(env, email, strongPassword());
        const acct = await env.db.scalar(`SELECT id FROM account WHERE email = '${email}'`);
        let r = await env.client().post('/api/v1/login', { login: email, password: 'Falsch-123456!' });
        assert.equal(r.status, 401);
        const c = env.client();
        r = await c.post('/api/v1/login', { login: email, password: u.password });
        assert.equal(r.status, 200, r.text);
        r = await c.get('/api/v1/me');
        assert.equal(r.status, 200);
        r = await c.post('/api/v1/logout', null, { csrf: true });
        assert.ok(r.status < 300, r.text);

        const lines = auditLines(env);
        const reg = find(lines, 'POST register', (o) => o.target && o.target.id === acct);
        assert.equal(reg.length, 1, JSON.stringify(lines));
        assert.deepEqual(reg[0].actor, { type: 'account', id: acct });
        assert.deepEqual(reg[0].events, ['registered']);
        assert.equal(reg[0].result, 'ok');
        assert.equal(reg[0].status, 202);
        assert.ok(Date.parse(reg[0].ts) >= t0 - 2000 && Date.parse(reg[0].ts) <= Date.now() + 1000, reg[0].ts);
        const conf = find(lines, 'POST email/confirm', (o) => o.target && o.target.id === acct);
        assert.equal(conf.length, 1);
        assert.deepEqual(conf[0].events, ['email_confirmed']);
        const bad = find(lines, 'POST login', (o) => o.target && o.target.name === email);
        assert.equal(bad.length, 1, JSON.stringify(lines.filter((o) => o.action === 'POST login')));
        assert.deepEqual(bad[0].actor, { type: 'anonymous', id: null });
        assert.equal(bad[0].result, 'denied');
        assert.equal(bad[0].status, 401);
        assert.equal(bad[0].error, 'invalid_credentials');
        const good = find(lines, 'POST login', (o) => o.actor.id === acct);
        assert.equal(good.length, 1);
        assert.deepEqual(good[0].target, { type: 'account', id: acct });
        assert.equal(good[0].result, 'ok');
        const out = find(lines, 'POST logout', (o) => o.actor.id === acct);
        assert.equal(out.length, 1);
        assert.equal(out[0].result, 'ok');
        assert.equal(find(lines, 'GET me').length, 0, 'reading calls of citizens are not logged');
        // one request id per line
        assert.equal(new Set(lines.map((o) => o.request_id)).size, lines.length);
    });

    test('second factor, upload and password change of a citizen; staff actions name the customer', async () => {
        const env = h.env;
        const jc = await jobcenterWithStaff(env);
        const v = await citizenWithProfile(env, jc, 'audit-up');
        const draft = await newDraft(v.c);
        let r = await uploadRaw(v.c, draft, samples.pdf(3000), 'beleg.pdf');
        assert.equal(r.status, 201, r.text);
        const np = strongPassword();
        r = await v.c.post('/api/v1/konto/passwort', { current_password: v.password, password: np,
            password_repeat: np }, { csrf: true });
        assert.equal(r.status, 204, r.text);

        const staff = await staffOf(env, jc, 'leistung');
        const cust = await createCustomer(env, { jobcenterId: jc.id, createdBy: jc.staff });
        r = await staff.c.get(`/api/v1/staff/customers/${cust.id}`);
        assert.equal(r.status, 200, r.text);
        r = await staff.c.post(`/api/v1/staff/customers/${cust.id}/freischaltcode`, null, { csrf: true });
        assert.ok(r.status < 300, r.text);
        // a citizen on a staff route: refused, logged as the account
        r = await v.c.get(`/api/v1/staff/customers/${cust.id}`);
        assert.equal(r.status, 403, r.text);

        const lines = auditLines(env);
        const totp = find(lines, 'POST mfa/totp/confirm', (o) => o.actor.id === v.id);
        assert.equal(totp.length, 1);
        assert.deepEqual(totp[0].events, ['totp_added', 'login']);
        assert.deepEqual(totp[0].target, { type: 'account', id: v.id });
        const up = find(lines, 'POST uploads/files', (o) => o.actor.id === v.id);
        assert.equal(up.length, 1);
        assert.deepEqual(up[0].target, { type: 'draft', id: draft });
        assert.equal(up[0].status, 201);
        const pw = find(lines, 'POST konto/passwort', (o) => o.actor.id === v.id);
        assert.equal(pw.length, 1);
        assert.deepEqual(pw[0].events, ['password_changed']);
        const view = find(lines, 'GET staff/customers/*', (o) => o.actor.id === staff.id);
        assert.equal(view.length, 1);
        assert.equal(view[0].actor.type, 'staff');
        assert.deepEqual(view[0].target, { type: 'customer', id: cust.id });
        const code = find(lines, 'POST staff/customers/*/freischaltcode', (o) => o.actor.id === staff.id);
        assert.equal(code.length, 1);
        assert.deepEqual(code[0].target, { type: 'customer', id: cust.id });
        assert.equal(code[0].result, 'ok');
        const refused = find(lines, 'GET staff/customers/*', (o) => o.actor.id === v.id);
        assert.equal(refused.length, 1);
        assert.deepEqual(refused[0].actor, { type: 'account', id: v.id });
        assert.equal(refused[0].result, 'denied');
        assert.equal(refused[0].error, 'staff_only');
    });

    logTest();
});
