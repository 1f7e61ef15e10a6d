// The operator's service lines (issue 15, the guide's confirmation mail and
// credential letters): JobcenterServicePhone and JobcenterHearingImpairedURL
// in the closing of every mail and in both one-time credential letters,
// JobcenterInfoURL after the "Wichtig" note of the letters. Unset, the lines
// are left out (no invented number). The values are the guide's examples.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { useEnv, logTest } from '../lib/env.mjs';
import { run, randomId, uniqueEmail } from '../lib/util.mjs';
import { registerUnconfirmed, strongPassword } from '../lib/flows.mjs';
import { addJobcenter, addStaff, loginFull, createCustomer } from '../lib/staff.mjs';
import { issueCode as storeCode, authenticatedCitizen } from '../lib/fixtures.mjs';

const PHONE = '0800 4 5555 01 (gebührenfrei)';
const HEARING = 'https://www.arbeitsagentur.de/ueber-uns/ansprechpartner';
const INFO = 'https://www.arbeitsagentur.de/link/imfa';

async function pdfText(env, b64) {
    const dir = path.join(env.root, 'letters');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `l-${randomId(4)}.pdf`);
    fs.writeFileSync(file, Buffer.from(b64, 'base64'));
    return (await run('pdftotext', [file, '-'])).stdout.replace(/\s+/g, ' ');
}

async function lettersFor(env, tag) {
    const jc = `Jobcenter Service ${randomId(2)}`;
    await addJobcenter(env, jc, [String(70000 + Math.floor(Math.random() * 9999))]);
    const staff = await loginFull(env, await addStaff(env, jc, { tag }));
    const cust = await createCustomer(staff);
    const citizen = await authenticatedCitizen(env, tag);
    const code = await storeCode(env, cust.id, { createdBy: staff.accountId });
    const red = await citizen.c.post('/api/v1/freischaltcode', { code: code.grouped }, { csrf: true });
    assert.equal(red.status, 201, red.text);
    const r = await staff.post(`/api/v1/staff/customers/${cust.id}/zugangsdaten`, null, { csrf: true });
    assert.equal(r.status, 201, r.text);
    return Promise.all(r.json.letters.map((l) => pdfText(env, l.data_base64)));
}

describe('service lines set (the guide\'s values)', () => {
    const h = useEnv({
        sets: [`JobcenterServicePhone "${PHONE}"`, `JobcenterHearingImpairedURL ${HEARING}`, `JobcenterInfoURL ${INFO}`]
    });

    test('the confirmation mail names the service number and the page for people with hearing impairments', async () => {
        const { mail } = await registerUnconfirmed(h.env, uniqueEmail('svc'), strongPassword());
        const body = mail.body.replace(/\r\n/g, '\n');
        assert.ok(body.includes('Ihre Fragen rund um Ihr Konto beantworten wir gern telefonisch:\n\n'
            + `Servicenummer: ${PHONE}\n`), body);
        assert.ok(body.includes('Hinweis: Informationen zu unserem Servicetelefon für Menschen mit '
            + `Hörbeeinträchtigungen finden Sie auf folgender Seite:\n${HEARING}\n`), body);
        assert.ok(!body.includes('gern über Ihr Jobcenter'), body);
    });

    test('both credential letters carry service number, hearing hint and the information link', async () => {
        for (const t of await lettersFor(h.env, 'svc-l')) {
            assert.ok(t.includes(`Weitere Informationen finden Sie unter ${INFO}.`), t);
            assert.ok(t.includes(`Servicenummer: ${PHONE}`), t);
            assert.ok(t.includes(`Menschen mit Hörbeeinträchtigungen finden Sie auf folgender Seite: ${HEARING}`), t);
        }
    });
});

describe('service lines unset (the default)', () => {
    const h = useEnv();

    test('the confirmation mail has no number and no hint, but the way to the Jobcenter', async () => {
        const { mail } = await registerUnconfirmed(h.env, uniqueEmail('nosvc'), strongPassword());
        assert.match(mail.body, /beantworten wir gern über Ihr Jobcenter\./);
        assert.doesNotMatch(mail.body, /Servicenummer|Hörbeeinträchtigungen|0800/);
    });

    test('the letters leave the lines out', async () => {
        for (const t of await lettersFor(h.env, 'nosvc-l')) {
            assert.doesNotMatch(t, /Servicenummer|Hörbeeinträchtigungen|Weitere Informationen finden Sie unter/);
            assert.match(t, /aus Ihrem Passwort-Manager\./);
        }
    });
});

logTest();
