// The module refuses to serve a database whose schema version it does not
// know: Apache must be gone within 10 s, with JC00004 in the error log. The
// [crit]/[alert] lines of that shutdown are expected here (and only here).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, logTest } from '../lib/env.mjs';
import { waitUntil, isAlive } from '../lib/util.mjs';

describe('schema version 999', () => {
    const h = useEnv({
        beforeStart: async (env) => {
            await env.db.exec('UPDATE jc_schema SET version = 999');
            assert.equal(await env.db.scalar('SELECT version FROM jc_schema'), 999);
        },
        waitReady: false,
        allowLog: [
            /\[jobcenter:crit\].*JC00004: database schema version is 999, this module needs version \d+/,
            /\[core:alert\].*AH00050: Child \d+ returned a Fatal error\.\.\. Apache is exiting!/,
            /\[mpm_event:alert\].*AH02324: A resource shortage or other unrecoverable failure was encountered/
        ]
    });

    test('Apache exits within 10 s; error.log names JC00004 and the schema version', async () => {
        const env = h.env;
        const t0 = Date.now();
        await waitUntil(() => env.apache.pid && !isAlive(env.apache.pid) ? true
            : (!env.apache.pid && /JC00004/.test(env.errorLog())), {
            timeoutMs: 10000, intervalMs: 100, what: 'the Apache main process to exit'
        });
        // give a pid-less start a moment more to settle, then verify
        await waitUntil(() => !env.apache.isRunning(), { timeoutMs: 10000 - (Date.now() - t0) + 1000, what: 'exit' });
        const log = env.errorLog();
        assert.match(log, /JC00004/, log);
        assert.match(log, /schema version/, log);
        assert.match(log, /version is 999/, log);
        // nothing answers on the port any more
        await assert.rejects(fetch(`${env.base}/api/v1/password-policy`, { signal: AbortSignal.timeout(2000) }));
    });

});

logTest();
