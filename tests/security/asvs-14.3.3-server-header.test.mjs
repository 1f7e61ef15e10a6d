// ASVS 4.0.3 14.3.3: no detailed version information of system components
// in HTTP responses. The generated configuration sets ServerTokens Prod and
// ServerSignature Off: every response (static page, API, the module's JSON
// errors, httpd's own error pages, a refused TRACE) says "Server: Apache"
// exactly, and no body names the httpd version or the operating system.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, logTest } from '../lib/env.mjs';
import { rawRequest } from '../lib/rawhttp.mjs';

const LEAK = /Apache\/\d|\(Debian\)|\(Unix\)|Server at /;

describe('Server header and error pages', () => {
    const h = useEnv({});

    for (const [method, path, status] of [
        ['GET', '/', 200],
        ['GET', '/css/portal.css', 200],
        ['GET', '/api/v1/password-policy', 200],
        ['GET', '/api/v1/gibt-es-nicht', 404],
        ['GET', '/gibt-es-nicht.html', 404],
        ['GET', '/api/v1/me', 401],
        ['POST', '/api/v1/login', 403],
        ['GET', '/sachbearbeitung', 301],
        ['GET', '/sachbearbeitung/', 303],
        ['TRACE', '/', 405]
    ]) {
        test(`${method} ${path}: ${status}, "Server: Apache" and no version in the body`, async () => {
            const env = h.env;
            const r = await rawRequest(env.port, `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${env.port}\r\n`
                + `Accept: text/html\r\n${method === 'POST' ? 'Content-Length: 0\r\n' : ''}Connection: close\r\n\r\n`);
            assert.equal(r.status, status, r.raw.slice(0, 300));
            assert.equal(r.headers.server, 'Apache');
            assert.doesNotMatch(r.body, LEAK);
            assert.equal(r.headers['x-powered-by'], undefined);
        });
    }
});

logTest();
