// Two Apache nodes on one database (issue 13), each with its own watchdog
// and its own slow SMTP relay (50 ms per mail): every queued mail goes out
// exactly once (a node claims a mail before sending it), a claim whose
// node died is taken over after its lease and not before, a permanent
// refusal (550) is parked and listed by `jobcenter-admin mail-parked`
// (mail-retry queues it again), a mail the database cannot record as sent
// is not sent again on every tick (issue 14), and the background jobs run
// on one node per job (job_lease) with the deactivation notices sent once.
// On SQLite the two nodes share one database file.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, logTest } from '../lib/env.mjs';
import { waitUntil, nowSec, randomId, sleep } from '../lib/util.mjs';
import { admin } from '../lib/staff.mjs';

const DELAY_MS = 50;
const N_MAILS = 200;

// mail_outbox rows, inserted directly (the cheapest way to queue many)
function mailRows(rcpts, { now = nowSec(), extra = {} } = {}) {
    return rcpts.map((rcpt) => {
        const msg = `From: noreply@localhost\nTo: ${rcpt}\nSubject: cluster ${rcpt}\n\nHallo ${rcpt}\n`;
        const cols = { rcpt, subject: `cluster ${rcpt}`, message: msg, created_at: now, next_attempt_at: now - 1,
            ...extra };
        return cols;
    });
}

async function insertMails(env, rows) {
    const cols = Object.keys(rows[0]);
    const q = (v) => (v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`);
    for (let i = 0; i < rows.length; i += 100) {
        const values = rows.slice(i, i + 100).map((r) => `(${cols.map((c) => q(r[c])).join(', ')})`).join(',\n');
        await env.db.exec(`INSERT INTO mail_outbox (${cols.join(', ')}) VALUES ${values}`);
    }
}

// every delivery of the two relays, per recipient
function deliveries(nodes, prefix) {
    const per = new Map();
    for (const [i, n] of nodes.entries()) {
        for (const m of n.mail.messages) {
            for (const r of m.rcpt) {
                if (!r.startsWith(prefix)) continue;
                const e = per.get(r) || { count: 0, nodes: [] };
                e.count++;
                e.nodes.push(i + 1);
                per.set(r, e);
            }
        }
    }
    return per;
}

// Before the nodes start (DDL on a live SQLite database breaks the
// prepared statements of every connection: "database schema has changed"):
// a trigger that refuses to record "sent" for the recipients listed in
// jc_test_full, as a full disk would refuse the write after the claim.
async function fullDiskTrigger(env) {
    await env.db.exec('CREATE TABLE jc_test_full (rcpt TEXT PRIMARY KEY)');
    if (env.dbKind === 'pgsql') {
        await env.db.exec('CREATE FUNCTION jc_test_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN '
            + "RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = '53100'; "
            + 'END $$');
        await env.db.exec('CREATE TRIGGER jc_test_full BEFORE UPDATE ON mail_outbox FOR EACH ROW '
            + 'WHEN (NEW.sent_at IS NOT NULL AND OLD.sent_at IS NULL) EXECUTE FUNCTION jc_test_full()');
        // the trigger fires for listed recipients only
        await env.db.exec('CREATE OR REPLACE FUNCTION jc_test_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN '
            + 'IF EXISTS (SELECT 1 FROM jc_test_full f WHERE f.rcpt = NEW.rcpt) THEN '
            + "RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = '53100'; "
            + 'END IF; RETURN NEW; END $$');
    } else {
        await env.db.exec('CREATE TRIGGER jc_test_full BEFORE UPDATE OF sent_at ON mail_outbox '
            + 'WHEN NEW.sent_at IS NOT NULL AND EXISTS (SELECT 1 FROM jc_test_full f WHERE f.rcpt = NEW.rcpt) '
            + "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END");
    }
}

describe('two nodes, one database', { concurrency: 1 }, () => {
    const h1 = useEnv({ smtpDelayMs: DELAY_MS, beforeStart: fullDiskTrigger });
    const h2 = useEnv({ smtpDelayMs: DELAY_MS, get shareDb() { return h1.env; } });
    const nodes = () => [h1.env, h2.env];

    test(`${N_MAILS} queued mails, both watchdogs, a slow relay: each delivered exactly once`, async () => {
        const env = h1.env;
        const prefix = `c${randomId(3)}-`;
        const rcpts = Array.from({ length: N_MAILS }, (_, i) => `${prefix}${i}@example.org`);
        const t0 = Date.now();
        await insertMails(env, mailRows(rcpts));
        await waitUntil(async () => Number(await env.db.scalar(
            `SELECT count(*) FROM mail_outbox WHERE rcpt LIKE '${prefix}%' AND sent_at IS NULL`)) === 0,
        { timeoutMs: 90000, intervalMs: 250, what: `all ${N_MAILS} mails marked sent` });
        const took = Date.now() - t0;
        // a late second delivery would show up within a couple of ticks
        await sleep(2500);
        const per = deliveries(nodes(), prefix);
        const dup = [...per.entries()].filter(([, e]) => e.count > 1);
        const lost = rcpts.filter((r) => !per.has(r));
        const byNode = [1, 2].map((n) => [...per.values()].reduce((a, e) => a + e.nodes.filter((x) => x === n).length, 0));
        console.log(`# ${env.dbKind}: ${N_MAILS} mails in ${took} ms; node 1 sent ${byNode[0]}, node 2 sent `
            + `${byNode[1]}; duplicates ${dup.length}, lost ${lost.length}`);
        assert.equal(dup.length, 0, `delivered more than once: ${dup.length} of ${N_MAILS}, e.g. `
            + dup.slice(0, 5).map(([r, e]) => `${r} x${e.count} (nodes ${e.nodes})`).join(', '));
        assert.equal(lost.length, 0, `never delivered: ${lost.slice(0, 5)}`);
        assert.ok(byNode[0] > 0 && byNode[1] > 0, `both nodes deliver: ${byNode}`);
        assert.equal(Number(await env.db.scalar(`SELECT count(*) FROM mail_outbox WHERE rcpt LIKE '${prefix}%' `
            + 'AND (attempts <> 1 OR claim_owner IS NOT NULL OR claim_until IS NOT NULL)')), 0,
        'every mail: one attempt, claim ended');
    });

    test('a claim of a dead node is taken over after its lease; a live claim is left alone', async () => {
        const env = h1.env;
        const now = nowSec();
        const dead = `dead-${randomId(3)}@example.org`;
        const live = `live-${randomId(3)}@example.org`;
        await insertMails(env, [
            ...mailRows([dead], { extra: { claim_owner: 'gone.example:4711:00', claim_until: now - 1 } }),
            ...mailRows([live], { extra: { claim_owner: 'busy.example:4712:00', claim_until: now + 3600 } })
        ]);
        await waitUntil(async () => (await env.db.scalar(
            `SELECT count(*) FROM mail_outbox WHERE rcpt = '${dead}' AND sent_at IS NOT NULL`)) === 1,
        { timeoutMs: 15000, intervalMs: 200, what: 'the dead node\'s mail delivered' });
        // several ticks of both nodes
        await sleep(3000);
        assert.equal(deliveries(nodes(), dead).get(dead)?.count, 1);
        assert.equal(deliveries(nodes(), live).get(live), undefined, 'a mail under a live claim was sent');
        const [row] = await env.db.query(`SELECT sent_at, claim_owner, attempts FROM mail_outbox WHERE rcpt = '${live}'`);
        assert.equal(row.sent_at, null);
        assert.equal(row.claim_owner, 'busy.example:4712:00');
        assert.equal(row.attempts, 0);
        // its lease ends: taken over
        await env.db.exec(`UPDATE mail_outbox SET claim_until = ${nowSec() - 1} WHERE rcpt = '${live}'`);
        await waitUntil(async () => deliveries(nodes(), live).get(live)?.count === 1,
            { timeoutMs: 15000, intervalMs: 200, what: 'the expired claim taken over' });
    });

    test('a permanent refusal (550) is parked, not retried, listed by mail-parked; a 451 is retried; mail-retry queues again', async () => {
        const env = h1.env;
        const bad = `refused-${randomId(3)}@example.org`;
        const later = `later-${randomId(3)}@example.org`;
        const rule = (a) => (a === bad ? { code: 550, message: 'No such user here' }
            : a === later ? { code: 451, message: 'Try again later' } : null);
        for (const n of nodes()) n.mail.rejectRcpt = rule;
        try {
            await insertMails(env, mailRows([bad, later]));
            await waitUntil(async () => (await env.db.scalar(
                `SELECT count(*) FROM mail_outbox WHERE rcpt = '${bad}' AND parked_at IS NOT NULL`)) === 1,
            { timeoutMs: 15000, intervalMs: 200, what: 'the refused mail parked' });
            // retry 1..2 s in the tests: a 451 gets its second attempt meanwhile
            await waitUntil(async () => (await env.db.scalar(
                `SELECT attempts FROM mail_outbox WHERE rcpt = '${later}'`)) >= 2,
            { timeoutMs: 15000, intervalMs: 200, what: 'the 451 mail retried' });
            await sleep(2500);
            const refusals = nodes().flatMap((n) => n.mail.rejected).filter((r) => r.rcpt === bad);
            assert.equal(refusals.length, 1, 'a parked mail was tried again');
            const [row] = await env.db.query('SELECT attempts, sent_at, parked_at, last_error, claim_owner '
                + `FROM mail_outbox WHERE rcpt = '${bad}'`);
            assert.equal(row.attempts, 1);
            assert.equal(row.sent_at, null);
            assert.equal(row.claim_owner, null);
            assert.match(row.last_error, /550/);
            const [tmp] = await env.db.query(`SELECT parked_at, sent_at FROM mail_outbox WHERE rcpt = '${later}'`);
            assert.equal(tmp.parked_at, null, 'a temporary failure was parked');
            // warned, with the admin command named
            assert.match(nodes().map((n) => n.errorLog()).join('\n'),
                /\[jobcenter:warn\].*JC00230: mail \d+ refused by the relay .*parked .*550/);

            const list = await admin(env, ['mail-parked']);
            assert.equal(list.code, 0, list.stderr);
            const line = list.stdout.split('\n').find((l) => l.split('\t')[1] === bad);
            assert.ok(line, list.stdout);
            const f = line.split('\t');
            assert.equal(f.length, 7, line);
            assert.match(f[0], /^\d+$/);
            assert.equal(f[2], `cluster ${bad}`);
            assert.match(f[3], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
            assert.equal(f[4], '1');
            assert.match(f[6], /550/);
            assert.ok(!list.stdout.includes(later), 'a retried mail is listed as parked');

            // the address is fixed at the relay: queued again, delivered once
            for (const n of nodes()) n.mail.rejectRcpt = null;
            const r = await admin(env, ['mail-retry', '--id', f[0]]);
            assert.equal(r.code, 0, r.stderr);
            assert.match(r.stdout, new RegExp(`mail ${f[0]} queued again`));
            await waitUntil(async () => deliveries(nodes(), bad).get(bad)?.count === 1,
                { timeoutMs: 15000, intervalMs: 200, what: 'the retried mail delivered' });
            const again = await admin(env, ['mail-retry', '--id', f[0]]);
            assert.equal(again.code, 1, 'retry of a mail that is not parked');
            assert.match(again.stderr, /no parked mail with id/);
            const none = await admin(env, ['mail-retry', '--id', 'x1']);
            assert.equal(none.code, 2);
            const empty = await admin(env, ['mail-parked']);
            assert.ok(!empty.stdout.includes(bad), empty.stdout);
        } finally {
            for (const n of nodes()) n.mail.rejectRcpt = null;
        }
    });

    test('a mail delivered while the database cannot record it is not sent again each tick (issue 14)', async () => {
        const env = h1.env;
        const rcpt = `norecord-${randomId(3)}@example.org`;
        // the database refuses exactly the record "sent" of this mail
        await env.db.exec(`INSERT INTO jc_test_full (rcpt) VALUES ('${rcpt}')`);
        try {
            await insertMails(env, mailRows([rcpt]));
            await waitUntil(async () => deliveries(nodes(), rcpt).get(rcpt)?.count >= 1,
                { timeoutMs: 15000, intervalMs: 100, what: 'the first delivery' });
            // ~6 ticks of each node
            await sleep(6000);
            const count = deliveries(nodes(), rcpt).get(rcpt).count;
            console.log(`# ${env.dbKind}: deliveries of an unrecordable mail in 6 s: ${count}`);
            assert.equal(count, 1, `sent ${count} times while the database could not record it`);
            assert.match(nodes().map((n) => n.errorLog()).join('\n'),
                /\[jobcenter:warn\].*JC00209: outbox: cannot record mail \d+ \(delivered\)/);
        } finally {
            await env.db.exec('DELETE FROM jc_test_full');
        }
        // the database works again: recorded late, still sent once
        await waitUntil(async () => (await env.db.scalar(
            `SELECT count(*) FROM mail_outbox WHERE rcpt = '${rcpt}' AND sent_at IS NOT NULL `
            + 'AND claim_owner IS NULL')) === 1,
        { timeoutMs: 15000, intervalMs: 200, what: 'the late record' });
        await sleep(1500);
        assert.equal(deliveries(nodes(), rcpt).get(rcpt).count, 1);
    });

    test('background jobs: one lease holder per job; due deactivations applied and announced once', async () => {
        const env = h1.env;
        const now = nowSec();
        const tag = `off${randomId(3)}-`;
        const N = 20;
        const accts = Array.from({ length: N }, (_, i) =>
            `('${tag}${i}@example.org', 'x', 1, 1, 1)`).join(', ');
        await env.db.exec('INSERT INTO account (email, password_hash, email_confirmed_at, created_at, updated_at) '
            + `VALUES ${accts}`);
        await env.db.exec('INSERT INTO online_consent (account_id, active_since, text_version, '
            + 'deactivation_requested_at, deactivation_effective_at, updated_at) '
            + `SELECT id, 1, 'v1', 1, ${now - 5}, 1 FROM account WHERE email LIKE '${tag}%'`);
        await waitUntil(async () => Number(await env.db.scalar('SELECT count(*) FROM online_consent c JOIN account a '
            + `ON a.id = c.account_id WHERE a.email LIKE '${tag}%' AND c.active_since IS NULL`)) === N,
        { timeoutMs: 15000, intervalMs: 200, what: 'the deactivations applied' });
        await waitUntil(async () => deliveries(nodes(), tag).size === N,
            { timeoutMs: 15000, intervalMs: 200, what: 'the notices delivered' });
        await sleep(2500);
        const per = deliveries(nodes(), tag);
        assert.deepEqual([...per.values()].filter((e) => e.count !== 1), [], 'a notice went out twice');
        assert.equal(Number(await env.db.scalar('SELECT count(*) FROM online_consent_history h JOIN account a '
            + `ON a.id = h.account_id WHERE a.email LIKE '${tag}%' AND h.action = 'deactivated'`)), N);

        const leases = await env.db.query('SELECT name, owner, expires_at FROM job_lease ORDER BY name');
        assert.deepEqual(leases.map((l) => l.name), ['bescheid_reminders', 'online_deactivations', 'purge']);
        for (const l of leases) {
            assert.match(l.owner, /^[^:\s]+:\d+:[0-9a-f]{16}$/, l.owner);
            assert.ok(l.expires_at > nowSec(), `${l.name}: lease not renewed (${l.expires_at})`);
        }
        // both nodes announced their identities; each job has one holder,
        // which keeps it while it lives
        const ids = nodes().map((n) => /JC00235: background jobs and mail delivery run as node (\S+)/
            .exec(n.errorLog())?.[1]);
        assert.ok(ids[0] && ids[1] && ids[0] !== ids[1], `node identities: ${ids}`);
        for (const l of leases) assert.ok(ids.includes(l.owner), `${l.name} held by ${l.owner}, not a node`);
        await sleep(2500);
        const again = await env.db.query('SELECT name, owner FROM job_lease ORDER BY name');
        assert.deepEqual(again.map((l) => l.owner), leases.map((l) => l.owner), 'a lease changed hands');
    });
});

logTest();
