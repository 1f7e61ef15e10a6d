// Exactly one delivery with two watchdogs (issue 13): 200 mails queued at
// once, both nodes' outbox watchdogs running, a slow SMTP relay (50 ms per
// mail). Every mail must reach the relay once: 0 duplicates, 0 lost. The
// envelope sender names the node (JobcenterMailFrom per node), so the
// figures show which watchdog sent what.
//
// The counting needs no timing guess about the watchdogs: it waits (bounded)
// until every row has sent_at, then until the relay has received nothing
// for 3 s -- longer than a watchdog interval (1 s) plus one delivery
// (50 ms), so a node still working through a batch it fetched earlier, or
// a message still in the relay's delay, would have shown up -- and only
// then counts.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { useCluster, clusterLogTest } from '../lib/cluster.mjs';
import { waitUntil, randomId, nowSec } from '../lib/util.mjs';

const MAILS = 200;
const DELAY_MS = 50;

describe('200 mails, two watchdogs, a slow relay', () => {
    const h = useCluster({
        smtpDelayMs: DELAY_MS,
        nodeSets: (name) => [`JobcenterMailFrom "Jobcenter.Digital <noreply-${name}@localhost>"`]
    });

    test(`${MAILS} queued mails reach the relay exactly once (0 duplicates, 0 lost)`, async (t) => {
        const env = h.env;
        const run = randomId(3);
        const rcpt = (i) => `once-${run}-${String(i).padStart(3, '0')}@example.org`;
        const now = nowSec();
        // one statement: both watchdogs find all 200 due at once
        await env.db.exec(`INSERT INTO mail_outbox (rcpt, subject, message, created_at, next_attempt_at)
            SELECT 'once-${run}-' || lpad(g::text, 3, '0') || '@example.org', 'Cluster-Test ' || g,
                'From: Jobcenter.Digital <noreply@localhost>' || E'\\r\\n'
                || 'To: once-${run}-' || lpad(g::text, 3, '0') || '@example.org' || E'\\r\\n'
                || 'Subject: Cluster-Test ' || g || E'\\r\\n'
                || 'Message-ID: <once-${run}-' || g || '@localhost>' || E'\\r\\n'
                || 'MIME-Version: 1.0' || E'\\r\\n'
                || 'Content-Type: text/plain; charset=utf-8' || E'\\r\\n'
                || 'Content-Transfer-Encoding: 7bit' || E'\\r\\n\\r\\n'
                || 'Mail ' || g || ' of ${MAILS}.' || E'\\r\\n',
                ${now}, ${now}
            FROM generate_series(1, ${MAILS}) g`);
        const t0 = Date.now();
        const unsent = () => env.db.scalar(`SELECT count(*) FROM mail_outbox WHERE rcpt LIKE 'once-${run}-%' `
            + 'AND sent_at IS NULL');
        let left = MAILS;
        try {
            await waitUntil(async () => (left = Number(await unsent())) === 0,
                { timeoutMs: 120000, intervalMs: 250, what: `all ${MAILS} rows marked sent` });
        } catch { /* counted below */ }
        const tSent = Date.now() - t0;
        let last = -1;
        let quietSince = Date.now();
        await waitUntil(() => {
            const n = env.mail.messages.length;
            if (n !== last) {
                last = n;
                quietSince = Date.now();
                return false;
            }
            return Date.now() - quietSince >= 3000;
        }, { timeoutMs: 60000, intervalMs: 100, what: 'the relay idle for 3 s' });

        const got = new Map();
        const bySender = {};
        for (const m of env.mail.messages) {
            for (const r of m.rcpt) {
                if (!r.startsWith(`once-${run}-`)) continue;
                got.set(r, (got.get(r) || 0) + 1);
                bySender[m.from] = (bySender[m.from] || 0) + 1;
            }
        }
        let duplicates = 0;
        let twice = 0;
        const lost = [];
        for (let i = 1; i <= MAILS; i++) {
            const n = got.get(rcpt(i)) || 0;
            if (n === 0) lost.push(i);
            if (n > 1) { twice++; duplicates += n - 1; }
        }
        const figures = `${MAILS} mails: ${twice} delivered more than once (${duplicates} extra deliveries), `
            + `${lost.length} lost, ${left} rows still unsent; deliveries by sender ${JSON.stringify(bySender)}; `
            + `all rows marked sent after ${tSent} ms`;
        t.diagnostic(figures);
        assert.deepEqual({ duplicates, lost: lost.length, unsent: left }, { duplicates: 0, lost: 0, unsent: 0 },
            figures);
    });
});

clusterLogTest();
