// JobcenterSecretKeyFile: Apache refuses to start, with JC00006 naming the
// file and the reason, when the key file is missing, readable by others or
// not a key. The [emerg] lines of those refused starts are expected here
// (and only here).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useEnv, logTest } from '../lib/env.mjs';
import { randomId, waitUntil } from '../lib/util.mjs';

const REFUSED = [
    /\[jobcenter:emerg\].*JC00006: JobcenterSecretKeyFile /,
    /\[:emerg\].*AH00020: Configuration Failed, exiting/
];

function keyPath() {
    return path.join(process.env.JC_TMP || os.tmpdir(), `jc-key-${randomId()}`);
}

// One environment whose key file is prepared by make(file) (or missing).
function refusedStart(title, make, reason) {
    describe(title, () => {
        const file = keyPath();
        const h = useEnv({
            sets: [`JobcenterSecretKeyFile ${file}`],
            beforeStart: async () => {
                if (make) make(file);
            },
            waitReady: false,
            allowLog: REFUSED
        });

        test(`Apache does not start; error.log: JC00006 … ${reason.source}`, async () => {
            const env = h.env;
            await waitUntil(() => /JC00006/.test(env.errorLog()), { timeoutMs: 10000, what: 'JC00006 in error.log' });
            const line = env.errorLog().split('\n').find((l) => l.includes('JC00006'));
            assert.ok(line.includes(file), line);
            assert.match(line, reason);
            assert.equal(env.apache.isRunning(), false);
            await assert.rejects(fetch(`${env.base}/api/v1/password-policy`, { signal: AbortSignal.timeout(2000) }));
        });
    });
}

refusedStart('key file missing', null, /cannot read it: No such file or directory/);
refusedStart('key file readable by others (0644)', (f) => {
    fs.writeFileSync(f, `${'ab'.repeat(32)}\n`, { mode: 0o644 });
    fs.chmodSync(f, 0o644);
}, /too open.*chmod 600/);
refusedStart('key file of the wrong size', (f) => {
    fs.writeFileSync(f, 'too short\n', { mode: 0o600 });
}, /32 random bytes or 64 hex digits/);

logTest();
