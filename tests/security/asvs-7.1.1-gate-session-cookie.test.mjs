// ASVS 4.0.3 V7.1.1: session tokens are not logged. The portal's session
// cookie is a bearer credential for the whole citizen API; a backend behind
// the gate needs the account (X-Jobcenter-User), not the credential, and
// would write it into its logs. Once the gate accepted the session it
// removes __Host-jc_session and jc_session from the forwarded Cookie header
// (other cookies stay as sent; no Cookie header at all when nothing else
// is left). The echo backend behind mod_proxy_http reports the header lines
// it received. A non-proxied gated Location (mod_include, HTTP_COOKIE)
// shows the same, and that its subrequests (DirectoryIndex, include
// virtual of a directory with its own configuration, where httpd runs the
// gate again) still pass it without the cookie in the header.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { useEnv, logTest } from '../lib/env.mjs';
import { authenticatedCitizen } from '../lib/fixtures.mjs';
import { echoBackend, rawGet, PROXY_MODULES, loadModules, gateLocation } from '../lib/gate.mjs';

describe('ASVS 7.1.1: the session cookie never reaches a backend behind the gate', () => {
    let be;
    before(async () => { be = await echoBackend(); });
    after(() => be && be.close());

    const h = useEnv({
        beforeStart: (env) => {
            const dir = path.join(env.root, 'gate-ssi');
            fs.mkdirSync(path.join(dir, 'teile'), { recursive: true });
            fs.writeFileSync(path.join(dir, 'index.shtml'),
                'index;cookie=<!--#echo var="HTTP_COOKIE" -->;user=<!--#echo var="REMOTE_USER" -->;'
                + '<!--#include virtual="teile/teil.shtml" -->\n');
            fs.writeFileSync(path.join(dir, 'teile', 'teil.shtml'),
                'teil;cookie=<!--#echo var="HTTP_COOKIE" -->;user=<!--#echo var="REMOTE_USER" -->;');
            fs.chmodSync(dir, 0o755);
            fs.chmodSync(path.join(dir, 'teile'), 0o755);
            for (const f of ['index.shtml', 'teile/teil.shtml']) fs.chmodSync(path.join(dir, f), 0o644);
        },
        extra: (env) => `
${PROXY_MODULES}
${loadModules('include', 'alias')}
${gateLocation('/intern/', be.port, { headers: true })}
Alias /seiten-intern/ ${env.root}/gate-ssi/
<Directory ${env.root}/gate-ssi/>
    Options +Includes
    AddOutputFilter INCLUDES .shtml
    AddType text/html .shtml
    DirectoryIndex index.shtml
    Require all granted
</Directory>
# a configuration of its own: the subrequest passes the gate again
<Directory ${env.root}/gate-ssi/teile/>
    Options +Includes -Indexes
</Directory>
<Location /seiten-intern/>
    AuthType jobcenter
    Require jobcenter-session
</Location>
`
    });

    let u, tok;
    const cookies = (raw) => raw.filter(([k]) => k.toLowerCase() === 'cookie').map(([, v]) => v);
    const noToken = (raw) => {
        for (const [k, v] of raw) {
            assert.ok(!v.includes(tok), `the token reached the backend in ${k}: ${v}`);
            assert.doesNotMatch(v, /jc_session/i, `${k}: ${v}`);
        }
    };
    const viaGate = async (lines) => {
        const n = be.seen.length;
        const r = await rawGet(h.env, '/intern/log', lines);
        assert.equal(r.status, 200, r.text);
        assert.equal(be.seen.length, n + 1);
        const got = r.json.raw;
        assert.deepEqual(got.filter(([k]) => k.toLowerCase() === 'x-jobcenter-user').map(([, v]) => v),
            [String(u.id)], 'the gate accepted the session');
        noToken(got);
        return got;
    };

    test('set-up: an authenticated citizen', async () => {
        u = await authenticatedCitizen(h.env, 'gate-ck');
        tok = u.c.jar.get('jc_session');
        assert.ok(tok && tok.length >= 20);
    });

    test('other cookies stay, in order and as sent; the session cookie goes (first, middle, last)', async () => {
        let got = await viaGate([['Cookie', `thema=dunkel; jc_session=${tok}; sprache=de`]]);
        assert.deepEqual(cookies(got), ['thema=dunkel; sprache=de']);
        got = await viaGate([['Cookie', `jc_session=${tok}; thema=dunkel;sprache=de`]]);
        assert.deepEqual(cookies(got), ['thema=dunkel;sprache=de']);
        got = await viaGate([['Cookie', `thema="a b"; x=1=2; jc_session=${tok}`]]);
        assert.deepEqual(cookies(got), ['thema="a b"; x=1=2']);
    });

    test('the secure name and other spellings go too, whichever name this host reads', async () => {
        const got = await viaGate([['Cookie',
            `__Host-jc_session=${tok}; a=1; jc_session=${tok}; JC_SESSION=${tok};jc_session =${tok}; b=2`]]);
        assert.deepEqual(cookies(got), ['a=1; b=2']);
    });

    test('nothing else: no Cookie header at all', async () => {
        const got = await viaGate([['Cookie', `jc_session=${tok}`]]);
        assert.deepEqual(cookies(got), []);
    });

    test('two Cookie lines (httpd joins them with ", "): the token goes wherever it stands, the rest stays', async () => {
        let got = await viaGate([['Cookie', 'a=1'], ['Cookie', `b=2; jc_session=${tok}`]]);
        assert.deepEqual(cookies(got), ['a=1, b=2']);
        // "a=1, jc_session=TOKEN; jc_session=TOKEN": a backend that also
        // splits at ',' would find the token in the first piece
        got = await viaGate([['Cookie', 'a=1'], ['Cookie', `jc_session=${tok}; jc_session=${tok}`]]);
        assert.deepEqual(cookies(got), ['a=1']);
    });

    test('non-proxied Location: HTTP_COOKIE without the token; DirectoryIndex and include virtual still pass the gate', async () => {
        const r = await rawGet(h.env, '/seiten-intern/', [['Cookie', `thema=dunkel; jc_session=${tok}`],
            ['Accept', 'text/html']]);
        assert.equal(r.status, 200, r.text);
        assert.equal(r.text.trim(),
            `index;cookie=thema=dunkel;user=${u.id};teil;cookie=thema=dunkel;user=${u.id};`);
        assert.ok(!r.text.includes(tok));
    });

    test('without a session nothing reaches the backend; the session itself is unchanged', async () => {
        const n = be.seen.length;
        const r = await rawGet(h.env, '/intern/log', [['Cookie', 'jc_session=falsch; a=1'],
            ['Accept', 'application/json']]);
        assert.equal(r.status, 401, r.text);
        assert.equal(be.seen.length, n);
        const me = await u.c.get('/api/v1/me');
        assert.equal(me.status, 200, me.text);
        assert.equal(me.json.session.state, 'authenticated');
        assert.equal(me.json.account.id, u.id);
        assert.equal(u.c.jar.get('jc_session'), tok);
    });
});

logTest();
