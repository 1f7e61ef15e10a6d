// Mail outbox: a relay that is down keeps the mail (attempts, last_error) and
// delivers it once the relay is up (retry 1..2 s); the message format on the
// wire; a stop during a delivery run; the spool transport writes exactly one
// .eml per mail.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { useEnv, logTest } from '../lib/env.mjs';
import { uniqueEmail, waitUntil } from '../lib/util.mjs';
import { confirmLink, confirmToken, parseMessage } from '../lib/smtp.mjs';
import { strongPassword, registration, outboxRows, confirm, SUBJECT_CONFIRM } from '../lib/flows.mjs';

// two Apaches side by side: the relay test mostly waits for retries
describe('mail outbox', { concurrency: true }, () => {
    describe('SMTP relay down, then up', { concurrency: 1 }, () => {
        // the SMTP port is reserved but nobody listens on it yet
        const h = useEnv({ smtp: false });

        test('the mail stays in the outbox (attempts >= 1, last_error) and arrives once the relay is up', async () => {
            const env = h.env;
            assert.equal(env.mail, null);
            const email = uniqueEmail('down');
            const r = await env.api.post('/api/v1/register', registration(email, strongPassword()));
            assert.equal(r.status, 202, r.text);

            const failed = await waitUntil(async () => {
                const [row] = await outboxRows(env, email);
                return row && row.attempts >= 1 && row.last_error ? row : null;
            }, { timeoutMs: 10000, intervalMs: 200, what: 'a failed delivery attempt in mail_outbox' });
            assert.equal(failed.sent_at, null);
            assert.equal(failed.subject, SUBJECT_CONFIRM);
            assert.match(String(failed.last_error), /\S/);
            // retried (1..2 s), still kept
            await waitUntil(async () => {
                const [row] = await outboxRows(env, email);
                return row.attempts >= 2 && row.sent_at === null;
            }, { timeoutMs: 8000, intervalMs: 200, what: 'a second attempt' });

            const mail = await env.startSmtp();
            const t0 = Date.now();
            const m = await mail.waitFor(email, { subject: SUBJECT_CONFIRM, timeoutMs: 15000 });
            assert.ok(Date.now() - t0 < 15000);
            const [row] = await outboxRows(env, email);
            await waitUntil(async () => {
                const [x] = await outboxRows(env, email);
                return x.sent_at !== null;
            }, { timeoutMs: 5000, what: 'sent_at' });
            assert.ok(row.attempts >= 2);
            const [sent] = await outboxRows(env, email);
            assert.notEqual(sent.sent_at, null);
            assert.equal(sent.last_error, null, 'last_error kept after delivery');
            // delivered once (sent_at is set: no retry can follow), link works
            assert.equal(mail.find(email).length, 1, 'delivered more than once');
            const c = await confirm(env, confirmToken(m));
            assert.equal(c.status, 200, c.text);
            // the failures were logged as warnings (JC00202), not as errors
            assert.match(env.errorLog(), /\[jobcenter:warn\].*JC00202: mail \d+ not delivered/);
        });

        test('message format on the wire: headers, base64 UTF-8 body, CRLF lines <= 78', async () => {
            const env = h.env;
            const email = uniqueEmail('format');
            const mark = env.mail.mark();
            assert.equal((await env.api.post('/api/v1/register', registration(email, strongPassword()))).status, 202);
            const m = await env.mail.waitFor(email, { subject: SUBJECT_CONFIRM, since: mark });
            assert.equal(m.from, 'noreply@localhost', 'envelope sender');
            for (const hname of ['date', 'from', 'to', 'subject', 'message-id', 'mime-version', 'content-type',
                'content-transfer-encoding', 'auto-submitted']) {
                assert.ok(m.headers[hname], `header ${hname} missing`);
            }
            assert.equal(m.headers['mime-version'], '1.0');
            assert.equal(m.headers['content-transfer-encoding'].toLowerCase(), 'base64');
            assert.equal(m.headers['auto-submitted'], 'auto-generated');
            assert.match(m.headers['message-id'], /^<[^<>@\s]+@[^<>@\s]+>$/);
            assert.ok(!Number.isNaN(Date.parse(m.headers.date)), m.headers.date);
            assert.match(m.raw, /^Subject: =\?UTF-8\?B\?/m, 'subject not RFC 2047 encoded');
            for (const line of m.raw.replace(/\r\n$/, '').split('\r\n')) {
                assert.ok(line.length <= 78, `line over 78 characters: ${line}`);
            }
            assert.equal(/[^\r]\n/.test(m.raw), false, 'bare LF in the message');
            assert.ok(m.body.includes('Mit freundlichen Grüßen'), 'UTF-8 body not decoded as expected');
            assert.ok(confirmLink(m));
        });

    });

    describe('stopping Apache while the outbox delivers (slow relay, 300 ms per mail)', { concurrency: 1 }, () => {
        // the child crash is asserted by the test itself (clearer message),
        // so the end-of-file log check does not count it a second time
        const h = useEnv({ smtpDelayMs: 300, allowLog: [/AH0005[12]: child pid \d+ exit signal/] });

        test('graceful stop in the middle of a delivery run: no child crash, at most the mail in flight unrecorded', async () => {
            const env = h.env;
            const emails = Array.from({ length: 12 }, (_, i) => uniqueEmail(`slow${i}`));
            // unknown addresses queue nothing; register them (12 mails)
            await Promise.all(emails.map((e) => env.client().post('/api/v1/register', registration(e, strongPassword()))
                .then((r) => assert.equal(r.status, 202, r.text))));
            // the outbox run is under way: some mails are in, most are not
            await waitUntil(() => env.mail.messages.length >= 2, { timeoutMs: 15000, what: 'the first deliveries' });
            assert.ok(env.mail.messages.length < emails.length, 'all mails went out before the stop');
            await env.apache.stop();
            assert.equal(env.apache.killed, false, 'Apache had to be killed');
            const crashes = env.errorLog().split('\n').filter((l) => /exit signal|Assertion/.test(l));
            // delivered mails are recorded as sent; the rest stays queued.
            // Delivery is at-least-once (docs/internals.md): the one mail
            // whose SMTP transfer was under way when the child stopped may
            // be delivered without being recorded; it stays queued (it is
            // sent again later, never lost). Anything more is a bug.
            const rows = await env.db.query('SELECT rcpt, sent_at, attempts FROM mail_outbox');
            const got = env.mail.messages.map((m) => m.rcpt[0]);
            const unsentButDelivered = rows.filter((r) => r.sent_at === null && got.includes(r.rcpt)).map((r) => r.rcpt);
            assert.deepEqual(crashes, [], 'child crash');
            assert.ok(unsentButDelivered.length <= 1,
                `${got.length} of ${rows.length} delivered before the stop; unrecorded: ${unsentButDelivered}`);
            // and nothing is recorded as sent that the relay never got (lost)
            const sentButNotDelivered = rows.filter((r) => r.sent_at !== null && !got.includes(r.rcpt)).map((r) => r.rcpt);
            assert.deepEqual(sentButNotDelivered, [], 'recorded as sent but never delivered');
        });
    });

    describe('spool transport (--mail spool)', { concurrency: 1 }, () => {
        const h = useEnv({ mail: 'spool' });

        test('exactly one .eml with the link is written into <root>/mail', async () => {
            const env = h.env;
            const email = uniqueEmail('spool');
            const r = await env.api.post('/api/v1/register', registration(email, strongPassword()));
            assert.equal(r.status, 202, r.text);
            const files = await waitUntil(() => {
                const f = fs.readdirSync(env.mailDir).filter((n) => n.endsWith('.eml'));
                return f.length ? f : null;
            }, { timeoutMs: 10000, what: `an .eml in ${env.mailDir}` });
            // the only outbox row is done: no further file can appear
            const rows = await waitUntil(async () => {
                const r = await outboxRows(env, email);
                return r.length && r[0].sent_at !== null ? r : null;
            }, { timeoutMs: 5000, what: 'sent_at' });
            assert.equal(rows.length, 1);
            assert.equal(await env.db.scalar('SELECT count(*) FROM mail_outbox'), 1);
            const all = fs.readdirSync(env.mailDir);
            assert.deepEqual(all.filter((n) => n.endsWith('.eml')), files, 'more .eml files appeared');
            assert.equal(files.length, 1, `files: ${all}`);
            assert.deepEqual(all.filter((n) => n.startsWith('.tmp')), [], 'temporary files left behind');
            const file = path.join(env.mailDir, files[0]);
            const st = fs.statSync(file);
            assert.equal(st.mode & 0o077 & ~0o040, 0, `mode ${(st.mode & 0o777).toString(8)}: readable by others`);
            const m = parseMessage(fs.readFileSync(file));
            assert.equal(m.headers.to, email);
            assert.equal(m.subject, SUBJECT_CONFIRM);
            const link = confirmLink(m);
            assert.ok(link && link.startsWith(`${env.base}/email-bestaetigen.html?token=`), m.body);
            const c = await confirm(env, confirmToken(m));
            assert.equal(c.status, 200, c.text);
        });

    });
});

logTest();
