// ASVS 4.0.3 5.1.5: redirects go only to the portal's own destinations.
// httpd builds absolute redirects itself, e.g. mod_dir's DirectorySlash
// (/sachbearbeitung -> /sachbearbeitung/). With httpd's default
// UseCanonicalName Off their host is the client's Host header, so a forged
// Host (cache poisoning, a proxy that passes Host through) would send the
// browser to evil.example. The generated configuration sets ServerName to
// the scheme, host and port of JobcenterBaseURL and UseCanonicalName On:
// the redirect names the configured host whatever the request says. The
// module's own redirects (the gate's 303 to the login page, the QR link's
// 303) are relative and never carry the Host header either.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, logTest } from '../lib/env.mjs';
import { rawRequest } from '../lib/rawhttp.mjs';

function suite(label, baseUrl) {
    describe(`redirects with a forged Host, base URL ${label}`, () => {
        const h = useEnv(baseUrl ? { baseUrl } : {});
        const base = () => (baseUrl ? baseUrl(h.env.port) : h.env.base);

        for (const [what, req] of [
            ['Host: evil.example', () => `GET /sachbearbeitung HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`],
            ['Host: evil.example:8443', () => `GET /sachbearbeitung HTTP/1.1\r\nHost: evil.example:8443\r\nConnection: close\r\n\r\n`],
            ['an absolute request target http://evil.example/…',
                (p) => `GET http://evil.example/sachbearbeitung HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nConnection: close\r\n\r\n`],
            ['HTTP/1.0 without Host', () => 'GET /sachbearbeitung HTTP/1.0\r\n\r\n']
        ]) {
            test(`DirectorySlash redirect, ${what}: 301 to the configured host`, async () => {
                const env = h.env;
                const r = await rawRequest(env.port, req(env.port));
                assert.equal(r.status, 301, r.raw.slice(0, 300));
                assert.equal(r.headers.location, `${base()}/sachbearbeitung/`);
                assert.doesNotMatch(r.raw, /evil\.example/);
            });
        }

        test('the gate (no session) and the QR link answer relative 303s without the forged host', async () => {
            const env = h.env;
            for (const [path, loc] of [['/sachbearbeitung/', /^\/anmeldung\.html\?ziel=/],
                ['/link/freischaltcode?code=ABCD-EFGH-JKLM', /^\/[^/]/]]) {
                const r = await rawRequest(env.port, `GET ${path} HTTP/1.1\r\nHost: evil.example\r\n`
                    + 'Accept: text/html\r\nConnection: close\r\n\r\n');
                assert.equal(r.status, 303, r.raw.slice(0, 300));
                assert.match(r.headers.location, loc);
                assert.doesNotMatch(r.raw, /evil\.example/);
            }
        });
    });
}

suite('http://127.0.0.1:PORT (default)', null);
suite('http://localhost:PORT', (port) => `http://localhost:${port}`);

logTest();
