// PostgreSQL failover under load, through HAProxy and both Apache nodes:
// writers send messages (POST /api/v1/messages, one conversation each, an
// idempotency key per request) without pause; the primary is killed
// (pg_ctl -m immediate), fenced, and the synchronous standby promoted.
//   - no acknowledged write lost: every 2xx answer's conversation is on
//     the new primary;
//   - during the switch only 503 service_unavailable with the German
//     message, JSON and Retry-After; no 500, no dropped connection;
//   - recovery without restarting Apache: both nodes answer 2xx again,
//     with the same main processes (clusterLogTest checks the pids).
// Then fencing (docs/operations.md): the old primary, restarted by
// mistake, comes back read-only and the portal keeps writing to the new
// primary; rewound with pg_rewind it rejoins as the synchronous standby
// and receives the new writes.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { useCluster, clusterLogTest } from '../lib/cluster.mjs';
import { waitUntil, sleep, uniqueEmail } from '../lib/util.mjs';
import { jobcenterWithStaff } from '../lib/fixtures.mjs';
import { citizenWithProfile } from '../lib/uploads.mjs';
import { strongPassword, registration } from '../lib/flows.mjs';
import { lit } from '../lib/db.mjs';

const MSG_503 = 'Der Dienst ist vorübergehend ausgelastet. Bitte versuchen Sie es in wenigen Sekunden erneut.';
const WORKERS = 4;

describe('PostgreSQL failover during a load of writes', () => {
    const h = useCluster({
        // mod_dbd reports the connections it lost and could not open; the
        // module logs each refused request (503) at warn or below
        allowLog: [/\[dbd:error\]/]
    });
    const results = [];
    let times = null;

    test('kill the primary, promote the standby: acknowledged writes kept, only German 503s, recovery without restart',
        async (t) => {
            const env = h.env;
            const jc = await jobcenterWithStaff(env, { name: 'Jobcenter Failover' });
            const users = [];
            for (let i = 0; i < WORKERS; i++) users.push(await citizenWithProfile(env, jc, `fo${i}`));

            const state = { stop: false, phase: 'before' };
            const count = (pred) => results.filter(pred).length;
            async function worker(u, w) {
                for (let i = 0; !state.stop; i++) {
                    const key = crypto.randomUUID();
                    const phase = state.phase;
                    const sentAt = Date.now();
                    let r;
                    try {
                        r = await u.c.post('/api/v1/messages', {
                            anliegen: 'kopien', subject: `Last ${w}-${i}`, text: 'Bitte senden Sie mir eine Kopie.',
                            ack: true, idempotency_key: key
                        }, { csrf: true, timeoutMs: 20000 });
                    } catch (e) {
                        r = { status: 0, text: (e.cause && e.cause.message) || e.message, headers: new Headers() };
                    }
                    results.push({
                        w, key, account: u.id, phase, sentAt, answeredAt: Date.now(), status: r.status, node: r.headers.get('x-jc-node'),
                        code: r.error ? r.error.code : null, message: r.error ? r.error.message : null,
                        retryAfter: r.headers.get('retry-after'), type: r.headers.get('content-type'),
                        conversation: r.json && r.json.conversation ? r.json.conversation.id : null,
                        text: r.status >= 200 && r.status < 300 ? '' : r.text.slice(0, 300)
                    });
                    // a refused client waits a little (not the whole
                    // Retry-After: the test wants many requests in the switch)
                    if (r.status === 503) await sleep(50);
                }
            }
            const running = users.map((u, w) => worker(u, w));
            const ok = (x) => x.status >= 200 && x.status < 300;
            try {
                await waitUntil(() => count(ok) >= 20, { timeoutMs: 30000, intervalMs: 20, what: '20 writes before the kill' });
                // requests sent from here on may meet the dead primary
                state.phase = 'down';
                times = await env.pg.failover({
                    // the switch is seen under load: 503s while no primary exists
                    beforePromote: async ({ killedAt }) => {
                        await waitUntil(() => count((x) => x.answeredAt > killedAt && x.status === 503) >= 4,
                            { timeoutMs: 20000, intervalMs: 20, what: '503 answers while the primary is down' });
                    }
                });
                state.phase = 'promoted';
                // both nodes write again (their pools reconnect by themselves)
                await waitUntil(() => ['n1', 'n2'].every((n) => count((x) => x.phase === 'promoted' && ok(x)
                    && x.node === n) >= 10), { timeoutMs: 30000, intervalMs: 20, what: '10 writes per node after the promotion' });
            } finally {
                state.stop = true;
                await Promise.all(running);
            }

            const by = (phase) => results.filter((x) => x.phase === phase);
            const summary = ['before', 'down', 'promoted'].map((p) => {
                const s = {};
                for (const x of by(p)) s[x.status] = (s[x.status] || 0) + 1;
                return `${p}: ${JSON.stringify(s)}`;
            }).join('; ');
            t.diagnostic(`answers ${summary}; kill ${times.tKill} ms, promote from ${times.tPromoteStart} ms `
                + `to ${times.tPromoted} ms`);

            // only 2xx and the documented 503
            const bad = results.filter((x) => !ok(x) && !(x.status === 503 && x.code === 'service_unavailable'
                && x.message === MSG_503 && /^[1-9]\d*$/.test(x.retryAfter || '')
                && /^application\/json/.test(x.type || '')));
            assert.deepEqual(bad.map((x) => `${x.phase} ${x.node} ${x.status} ${x.text}`), [],
                `unexpected answers (${summary})`);

            // every acknowledged write is on the new primary
            const acked = results.filter(ok);
            const keys = acked.map((x) => lit(x.key)).join(',');
            const found = new Set((await env.pg.primary.sql(
                `SELECT idempotency_key FROM conversation WHERE idempotency_key IN (${keys})`,
                { dbname: env.dbname })).split('\n').filter(Boolean));
            const lost = acked.filter((x) => !found.has(x.key));
            assert.deepEqual(lost.map((x) => `${x.phase} ${x.node} conversation ${x.conversation}`), [],
                `${lost.length} of ${acked.length} acknowledged writes are not on the new primary (${summary})`);
            // refused writes may or may not have committed (the answer was
            // lost, not the data): only counted
            const refused = results.filter((x) => x.status === 503).map((x) => lit(x.key));
            const refusedButStored = refused.length ? Number(await env.pg.primary.sql(
                `SELECT count(*) FROM conversation WHERE idempotency_key IN (${refused.join(',')})`,
                { dbname: env.dbname })) : 0;
            t.diagnostic(`${acked.length} acknowledged writes, all on the new primary; ${refused.length} refused `
                + `(503), ${refusedButStored} of them stored anyway`);
            // no write is acknowledged while there is no primary: between
            // the kill and the promotion every answer is a 503
            const noPrimary = results.filter((x) => x.answeredAt > times.killedAt && x.answeredAt < times.promoteAt);
            assert.ok(noPrimary.length > 0, 'no answer while there was no primary');
            assert.deepEqual(noPrimary.filter(ok).map((x) => `${x.node} ${x.status} sent ${x.sentAt - times.startAt} ms `
                + `answered ${x.answeredAt - times.startAt} ms after the kill began`), [],
            'a write was acknowledged while there was no primary');
        });

    test('fencing: the old primary restarted by mistake comes back read-only; the portal writes to the new primary',
        async () => {
            const env = h.env;
            const old = env.pg.fenced;
            assert.ok(old, 'no fenced old primary');
            // the mistake: an operator (or systemd, or a reboot) starts it again
            await old.start();
            assert.equal(await old.inRecovery(), true, 'the old primary came back writable');
            const w = await old.sql('CREATE TABLE split_brain (x int)', { dbname: env.dbname, check: false });
            assert.notEqual(w.code, 0);
            assert.match(w.stderr, /read-only transaction/);
            // the portal's conninfo names it first: libpq skips it (read-only)
            for (let i = 0; i < 4; i++) {
                const email = uniqueEmail('fenced');
                const r = await env.api.post('/api/v1/register', registration(email, strongPassword()));
                assert.equal(r.status, 202, `${env.nodeOf(r)}: ${r.text}`);
                assert.equal(await env.pg.primary.sql(`SELECT count(*) FROM account WHERE email = ${lit(email)}`,
                    { dbname: env.dbname }), '1', 'registration not on the new primary');
            }
        });

    test('rejoin: pg_rewind makes the old primary the synchronous standby of the new one; new writes reach it',
        async () => {
            const env = h.env;
            const old = env.pg.standby;
            await env.pg.rejoinAsStandby();
            assert.equal(await old.inRecovery(), true);
            assert.equal(await env.pg.primary.inRecovery(), false);
            const email = uniqueEmail('rejoined');
            const r = await env.api.post('/api/v1/register', registration(email, strongPassword()));
            assert.equal(r.status, 202, r.text);
            // synchronous commit: flushed on the standby before the 202;
            // replayed (visible to queries) a moment later
            await waitUntil(async () => (await old.sql(`SELECT count(*) FROM account WHERE email = ${lit(email)}`,
                { dbname: env.dbname })) === '1', { timeoutMs: 10000, what: 'the registration on the rejoined standby' });
            // and every acknowledged write of the failover is there too
            const acked = results.filter((x) => x.status >= 200 && x.status < 300).map((x) => lit(x.key));
            assert.equal(Number(await old.sql(`SELECT count(DISTINCT idempotency_key) FROM conversation `
                + `WHERE idempotency_key IN (${acked.join(',')})`, { dbname: env.dbname })), acked.length);
        });
});

clusterLogTest();
