// The gate on a Location that is NOT proxied: a static directory with
// server-side includes. REMOTE_USER (the account id) is what httpd itself
// makes of r->user: mod_include echoes it (and AUTH_TYPE) into the page,
// and the access log writes it with %u. Without a two-factor session the
// page is never served and the log shows "-".
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { useEnv, logTest } from '../lib/env.mjs';
import { waitUntil } from '../lib/util.mjs';
import { authenticatedCitizen } from '../lib/fixtures.mjs';

const MOD = '/usr/lib/apache2/modules';

describe('gate: REMOTE_USER on a non-proxied Location', () => {
    const h = useEnv({
        beforeStart: (env) => {
            const dir = path.join(env.root, 'ssi');
            fs.mkdirSync(dir, { recursive: true });
            fs.writeFileSync(path.join(dir, 'wer.shtml'),
                'user=<!--#echo var="REMOTE_USER" -->;type=<!--#echo var="AUTH_TYPE" -->;\n');
            fs.chmodSync(dir, 0o755);
            fs.chmodSync(path.join(dir, 'wer.shtml'), 0o644);
        },
        extra: (env) => `
LoadModule authn_core_module ${MOD}/mod_authn_core.so
LoadModule include_module ${MOD}/mod_include.so
LoadModule alias_module ${MOD}/mod_alias.so
LogFormat "%u %U %>s" jcuser
CustomLog ${env.root}/apache/logs/user.log jcuser
Alias /konto-intern/ ${env.root}/ssi/
<Directory ${env.root}/ssi/>
    Options +Includes
    AddOutputFilter INCLUDES .shtml
    AddType text/html .shtml
</Directory>
<Location /konto-intern/>
    AuthType jobcenter
    Require jobcenter-session
</Location>
`
    });

    const userLog = () => {
        const f = path.join(h.env.root, 'apache', 'logs', 'user.log');
        return fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '';
    };

    test('without a session: 401, the page is not served, %u is "-"', async () => {
        const r = await h.env.api.get('/konto-intern/wer.shtml', { jar: false });
        assert.equal(r.status, 401, r.text);
        assert.doesNotMatch(r.text, /user=/);
        await waitUntil(() => /^- \/konto-intern\/wer\.shtml 401$/m.test(userLog()), { what: 'access log line' });
    });

    test('with a two-factor session: mod_include and the access log see REMOTE_USER = account id', async () => {
        const env = h.env;
        const { c, id: n } = await authenticatedCitizen(env, 'gate-ru');
        const id = String(n);
        const page = await c.get('/konto-intern/wer.shtml', { headers: { Accept: 'text/html' } });
        assert.equal(page.status, 200, page.text);
        assert.equal(page.text.trim(), `user=${id};type=jobcenter;`);
        await waitUntil(() => new RegExp(`^${id} /konto-intern/wer\\.shtml 200$`, 'm').test(userLog()),
            { what: `access log line with %u = ${id}` });
    });
});

logTest();
