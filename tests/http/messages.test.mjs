// Messages to the Jobcenter (seed "Nachrichten schreiben", "Erklärung zu
// „Anliegen“"), Postfach, Bescheide, Termine and the team inboxes:
// routing of all 14 Anliegen against the table parsed out of the seed,
// 1000/1001 characters with umlauts and emoji, field errors, attachments of
// every allowed type through the upload pipeline (a disguised file
// refused), the Online-Kommunikation gate, idempotent sending, a staff
// reply in the citizen's Postfach with its notification mail over SMTP
// (no social data in it), Bescheide (PDF only, delivery day, opened on
// download, reminder by the watchdog once), Termine with a reschedule
// request, and team/jobcenter isolation (404).
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { useEnv, logTest, TOP } from '../lib/env.mjs';
import { waitUntil } from '../lib/util.mjs';
import { assertError } from '../lib/flows.mjs';
import { isWorkday, isoDate } from '../lib/holidays.mjs';
import { jobcenterWithStaff, nowSec } from '../lib/fixtures.mjs';
import {
    samples, MIME, citizenWithProfile, staffOf, newDraft, uploadRaw, download, storeList
} from '../lib/uploads.mjs';

const SEED = '/work/shared/seed/jobcenter-digital-anleitung.txt';
const SUBJ_NEW = 'Neue Inhalte in Ihrem Profil';
const SUBJ_REMIND = 'Erinnerung: Neue Inhalte in Ihrem Profil';

// The table of "Erklärung zu „Anliegen“" out of the seed: [{group, label, team_text}]
// (its typo "Informationen du Fragen" corrected to "und").
function seedAnliegen() {
    const lines = fs.readFileSync(SEED, 'utf8').split('\n');
    const start = lines.findIndex((l) => l.startsWith('Erklärung zu „Anliegen“ (siehe')
        && lines.indexOf(l) > 100);
    assert.ok(start > 0, 'seed section not found');
    const rows = [];
    let group = null;
    for (let i = start; i < lines.length && i < start + 60; i++) {
        const l = lines[i].trim();
        if (l === 'Nachrichten an die Leistung' || l === 'Nachrichten an die Vermittlung') group = l;
        else if (l === 'Dokumente hochladen') break;
        else if (l.includes('\t') && !l.startsWith('Anliegen\t')) {
            const [label, team] = l.split('\t');
            // the guide's one typo, shown corrected to citizens (issue 15)
            rows.push({ group, label: label.replace('Informationen du Fragen', 'Informationen und Fragen'), team_text: team });
        }
    }
    return rows;
}

const key = () => crypto.randomUUID();

async function activateOnline(u) {
    const r = await u.c.post('/api/v1/online-kommunikation/aktivieren', null, { csrf: true });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.active, true, r.text);
}

function send(u, body) {
    return u.c.post('/api/v1/messages', {
        anliegen: 'kopien', subject: 'Kopie meines Bescheids', text: 'Bitte senden Sie mir eine Kopie.',
        ack: true, idempotency_key: key(), ...body
    }, { csrf: true });
}

// Berlin (server TZ as the test's) date 4 days after t, moved to the next
// working day (no Sat/Sun, no public holiday of the region).
function expectedDelivery(t, region = 'DE') {
    const d = new Date(t * 1000);
    const day = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 4, 12);
    while (!isWorkday(day, region)) day.setDate(day.getDate() + 1);
    return isoDate(day);
}

describe('messages routed by Anliegen', () => {
    // BW (as the demo's Rems-Murr): the delivery day skips BW's holidays
    const h = useEnv({ sets: ['JobcenterBescheidReminderDays 2', 'JobcenterHolidayRegion BW'] });
    let jcA, jcB, cit, other, lA, bA, vA, lB;

    before(async () => {
        const env = h.env;
        jcA = await jobcenterWithStaff(env, { name: 'Jobcenter Rems-Murr' });
        jcB = await jobcenterWithStaff(env, { name: 'Jobcenter Stuttgart' });
        cit = await citizenWithProfile(env, jcA, 'msg', { consent: false });
        other = await citizenWithProfile(env, jcA, 'msg-other', { consent: false });
        lA = await staffOf(env, jcA, 'leistung');
        bA = await staffOf(env, jcA, 'but');
        vA = await staffOf(env, jcA, 'vermittlung');
        lB = await staffOf(env, jcB, 'leistung');
    });

    test('GET messages/anliegen is exactly the seed\'s table: groups, order, wording, recipient team', async () => {
        const seed = seedAnliegen();
        assert.equal(seed.length, 14, JSON.stringify(seed));
        const r = await cit.c.get('/api/v1/messages/anliegen');
        assert.equal(r.status, 200, r.text);
        const api = r.json.groups.flatMap((g) => g.anliegen.map((a) => ({
            group: g.label, label: a.label, team_text: a.team_text
        })));
        assert.deepEqual(api, seed);
        assert.equal(r.json.text_max, 1000);
    });

    test('the consent gate: without Online-Kommunikation 403 online_kommunikation_inactive and nothing stored; reading works', async () => {
        const env = h.env;
        const r = await send(cit, {});
        assertError(r, 403, 'online_kommunikation_inactive');
        assert.match(r.json.error.message, /Online-Kommunikation/);
        assert.equal(await env.db.scalar('SELECT count(*) FROM conversation'), 0);
        const l = await cit.c.get('/api/v1/messages');
        assert.equal(l.status, 200, l.text);
        assert.deepEqual(l.json.conversations, []);
        await activateOnline(cit);
        await activateOnline(other);
    });

    test('all 14 Anliegen are routed to the team the seed names; only that team of the own jobcenter sees them', async () => {
        const env = h.env;
        const seed = seedAnliegen();
        const table = (await cit.c.get('/api/v1/messages/anliegen')).json.groups.flatMap((g) => g.anliegen);
        const staffByTeam = { leistung: lA, but: bA, vermittlung: vA };
        for (const row of seed) {
            const a = table.find((x) => x.label === row.label);
            const r = await send(cit, { anliegen: a.key, subject: `Routing ${a.key}` });
            assert.equal(r.status, 201, r.text);
            assert.equal(r.json.conversation.team_text, row.team_text, row.label);
            assert.equal(r.json.conversation.anliegen_text, row.label);
            const id = r.json.conversation.id;
            for (const [team, st] of Object.entries(staffByTeam)) {
                const inbox = await st.c.get('/api/v1/staff/messages');
                assert.equal(inbox.status, 200, inbox.text);
                const seen = inbox.json.conversations.some((c) => c.id === id);
                assert.equal(seen, team === a.team, `${row.label} in the inbox of ${team}`);
                const one = await st.c.get(`/api/v1/staff/messages/conversation?id=${id}`);
                if (team === a.team) assert.equal(one.status, 200, one.text);
                else assertError(one, 404, 'conversation_unknown');
            }
            assertError(await lB.c.get(`/api/v1/staff/messages/conversation?id=${id}`), 404,
                'conversation_unknown');
        }
        assert.equal(await env.db.scalar(`SELECT count(*) FROM conversation WHERE account_id = ${cit.id}`), 14);
        const lInbox = (await lA.c.get('/api/v1/staff/messages')).json;
        assert.equal(lInbox.conversations.length, 7);
        assert.equal(lInbox.conversations[0].customer.kundennummer, cit.cust.kundennummer);
        assert.deepEqual((await lB.c.get('/api/v1/staff/messages')).json.conversations, []);
        assertError(await cit.c.get('/api/v1/staff/messages'), 403, 'staff_only');
    });

    test('1000 characters with umlauts and emoji are accepted, 1001 refused (422, nothing stored); a ZWJ sequence counts as its code points', async () => {
        const env = h.env;
        const before = await env.db.scalar('SELECT count(*) FROM message');
        const t1000 = 'ä'.repeat(400) + 'ß'.repeat(100) + '😀'.repeat(500);
        assert.equal([...t1000].length, 1000);
        let r = await send(cit, { text: t1000 });
        assert.equal(r.status, 201, r.text);
        assert.equal(r.json.conversation.messages[0].body, t1000);
        r = await send(cit, { text: t1000 + 'ü' });
        assertError(r, 422, 'validation_failed');
        assert.equal(r.json.error.field, 'text');
        assert.equal(r.json.error.details[0].code, 'text_too_long');
        const zwj = '👩\u200d💻';                       // 3 code points, as [...s].length
        assert.equal([...zwj].length, 3);
        r = await send(cit, { text: 'a'.repeat(997) + zwj });
        assert.equal(r.status, 201, r.text);
        r = await send(cit, { text: 'a'.repeat(998) + zwj });
        assertError(r, 422, 'validation_failed');
        assert.equal(await env.db.scalar('SELECT count(*) FROM message'), Number(before) + 2);
    });

    test('missing Anliegen, Betreff, text and acknowledgement: 422 with every field, nothing stored', async () => {
        const env = h.env;
        const before = await env.db.scalar('SELECT count(*) FROM conversation');
        const r = await send(cit, { anliegen: '', subject: '  ', text: '', ack: false });
        assertError(r, 422, 'validation_failed');
        assert.deepEqual(r.json.error.details.map((d) => d.code),
            ['anliegen_missing', 'subject_missing', 'text_missing', 'ack_required']);
        assert.equal(r.json.error.field, 'anliegen');
        assert.match(r.json.error.details[3].message, /§ 67a/);
        let x = await send(cit, { anliegen: 'unbekannt' });
        assert.equal(x.json.error.details[0].code, 'anliegen_invalid');
        x = await send(cit, { subject: 'x'.repeat(101) });
        assert.equal(x.json.error.details[0].code, 'subject_too_long');
        x = await send(cit, { ack: 'true' });
        assert.equal(x.json.error.details[0].code, 'ack_required', 'only JSON true counts');
        x = await send(cit, { idempotency_key: 'kurz' });
        assertError(x, 400, 'idempotency_key_invalid');
        assert.equal(await env.db.scalar('SELECT count(*) FROM conversation'), before);
    });

    test('idempotent send: the same key twice gives one conversation (201, then 200 with the same id)', async () => {
        const env = h.env;
        const k = key();
        const a = await send(cit, { idempotency_key: k, subject: 'Einmal' });
        assert.equal(a.status, 201, a.text);
        const b = await send(cit, { idempotency_key: k, subject: 'Einmal' });
        assert.equal(b.status, 200, b.text);
        assert.equal(b.json.conversation.id, a.json.conversation.id);
        const par = await Promise.all([1, 2, 3].map(() => send(cit, { idempotency_key: k + 'p' })));
        assert.deepEqual(par.map((x) => x.status).sort(), [200, 200, 201]);
        assert.equal(await env.db.scalar(`SELECT count(*) FROM conversation WHERE idempotency_key IN ('${k}', '${k}p')`), 2);
    });

    let conv, files;
    test('attachments of each allowed type go through the upload pipeline into the message; a disguised file is refused', async () => {
        const env = h.env;
        const d = await newDraft(cit.c, 'geldleistung');
        files = {};
        for (const t of ['pdf', 'jpeg', 'png', 'bmp']) {
            files[t] = samples[t]();
            const r = await uploadRaw(cit.c, d, files[t], `Anhang.${t}`);
            assert.equal(r.status, 201, r.text);
        }
        const bad = await uploadRaw(cit.c, d, samples.exe(), 'Rechnung.pdf', 'application/pdf');
        assertError(bad, 415, 'upload_type_not_allowed');
        const r = await send(cit, { anliegen: 'miete_heizkosten', subject: 'Nebenkosten', draft: d,
            text: 'Anbei die Nebenkostenabrechnung.' });
        assert.equal(r.status, 201, r.text);
        conv = r.json.conversation;
        const fl = conv.messages[0].files;
        assert.deepEqual(fl.map((f) => f.mime), ['pdf', 'jpeg', 'png', 'bmp'].map((t) => MIME[t]));
        assert.equal(await env.db.scalar(`SELECT count(*) FROM upload_draft WHERE id = ${d}`), 0, 'draft removed');
        assert.equal(await env.db.scalar(`SELECT count(*) FROM upload_file WHERE draft_id IS NULL AND message_id = ${conv.messages[0].id}`), 4);
        // the citizen downloads their own attachment
        const own = await download(cit.c, fl[0].href);
        assert.equal(own.status, 200);
        assert.ok(own.buf.equals(files.pdf));
        assert.match(own.headers.get('content-disposition'), /^attachment;/);
        assert.equal(own.headers.get('x-content-type-options'), 'nosniff');
        assert.equal((await download(other.c, fl[0].href)).status, 404);
        // a draft of someone else cannot be attached
        const d2 = await newDraft(other.c);
        assertError(await send(cit, { draft: d2 }), 404, 'draft_unknown');
    });

    test('staff of the team: inbox with status filter, Kundennummer and name, attachments downloaded as attachment with nosniff; other team/jobcenter 404', async () => {
        const env = h.env;
        const inbox = await lA.c.get('/api/v1/staff/messages?status=neu');
        assert.equal(inbox.status, 200, inbox.text);
        const c = inbox.json.conversations.find((x) => x.id === conv.id);
        assert.ok(c, inbox.text);
        assert.equal(c.attachments, 4);
        assert.equal(c.customer.kundennummer, cit.cust.kundennummer);
        assert.equal(c.customer.name, `${cit.cust.given_name} ${cit.cust.family_name}`);
        assertError(await lA.c.get('/api/v1/staff/messages?status=offen'), 422, 'status_invalid');
        const one = await lA.c.get(`/api/v1/staff/messages/conversation?id=${conv.id}`);
        for (const [i, t] of ['pdf', 'jpeg', 'png', 'bmp'].entries()) {
            const f = one.json.conversation.messages[0].files[i];
            const dl = await download(lA.c, f.href);
            assert.equal(dl.status, 200);
            assert.equal(dl.headers.get('content-type'), MIME[t]);
            assert.match(dl.headers.get('content-disposition'), /^attachment; filename="Anhang\./);
            assert.equal(dl.headers.get('x-content-type-options'), 'nosniff');
            assert.ok(dl.buf.equals(files[t]), t);
            assert.equal((await download(vA.c, f.href)).status, 404, 'other team');
            assert.equal((await download(lB.c, f.href)).status, 404, 'other jobcenter');
        }
        // mir zuweisen -> in Bearbeitung; the filter follows
        const as = await lA.c.post('/api/v1/staff/messages/assign', { conversation: conv.id }, { csrf: true });
        assert.equal(as.status, 200, as.text);
        assert.equal(as.json.conversation.status, 'in_bearbeitung');
        assert.equal(as.json.conversation.assigned_name, 'Frau leistung');
        const neu = await lA.c.get('/api/v1/staff/messages?status=neu');
        assert.ok(!neu.json.conversations.some((x) => x.id === conv.id));
        const ib = await lA.c.get('/api/v1/staff/messages?status=in_bearbeitung');
        assert.ok(ib.json.conversations.some((x) => x.id === conv.id));
        assertError(await vA.c.post('/api/v1/staff/messages/assign', { conversation: conv.id }, { csrf: true }),
            404, 'conversation_unknown');
        assert.equal(await env.db.scalar(`SELECT count(*) FROM staff_audit WHERE action = 'message_assigned' AND staff_account = ${lA.id}`), 1);
        assert.equal(await env.db.scalar(`SELECT count(*) FROM staff_audit WHERE action = 'message_file_downloaded' AND staff_account = ${lA.id} AND customer_id = ${cit.cust.id}`), 4);
        assert.equal(await env.db.scalar(`SELECT count(*) FROM staff_audit WHERE action = 'message_file_downloaded' AND staff_account <> ${lA.id}`), 0, 'refused downloads are not audited as downloads');
    });

    test('staff inbox in keyset pages: limit and the next cursor walk every conversation once, ties on the time included', async () => {
        const env = h.env;
        const [row] = await env.db.query(`SELECT jobcenter_id, customer_id, team FROM conversation WHERE id = ${conv.id}`);
        const t = Math.floor(Date.now() / 1000) - 5000;
        for (let i = 0; i < 9; i++) {
            await env.db.exec('INSERT INTO conversation (jobcenter_id, customer_id, anliegen, team, subject, status, '
                + `idempotency_key, created_at, updated_at) VALUES (${row.jobcenter_id}, ${row.customer_id}, 'sonstiges', `
                + `'${row.team}', 'Seite ${i}', 'neu', 'page-${i}', ${t}, ${t + (i < 5 ? 0 : i)})`);
        }
        const want = (await env.db.query(`SELECT id FROM conversation WHERE jobcenter_id = ${row.jobcenter_id} `
            + `AND team = '${row.team}' ORDER BY updated_at DESC, id DESC`)).map((x) => x.id);
        const all = await lA.c.get('/api/v1/staff/messages');
        assert.deepEqual(all.json.conversations.map((c) => c.id), want);
        assert.equal(all.json.next, null);
        const got = [];
        let url = '/api/v1/staff/messages?limit=3';
        for (let pages = 0; url; pages++) {
            assert.ok(pages < 20, 'the pages do not end');
            const r = await lA.c.get(url);
            assert.equal(r.status, 200, r.text);
            assert.ok(r.json.conversations.length <= 3);
            got.push(...r.json.conversations.map((c) => c.id));
            url = r.json.next ? `/api/v1/staff/messages?limit=3&before=${encodeURIComponent(r.json.next)}` : null;
        }
        assert.deepEqual(got, want);
        const neu = await lA.c.get('/api/v1/staff/messages?status=neu&limit=2');
        assert.equal(neu.json.conversations.length, 2);
        const neu2 = await lA.c.get(`/api/v1/staff/messages?status=neu&limit=2&before=${neu.json.next}`);
        assert.ok(neu2.json.conversations.every((c) => c.status === 'neu'
            && !neu.json.conversations.some((x) => x.id === c.id)));
        for (const q of ['limit=0', 'limit=201', 'limit=x', 'limit=-1'])
            assertError(await lA.c.get(`/api/v1/staff/messages?${q}`), 422, 'limit_invalid');
        for (const q of ['before=1', 'before=a.b', 'before=1.', 'before=.1', 'before=1.2.3', 'before=-1.5',
            'before=99999999999999999999.1'])
            assertError(await lA.c.get(`/api/v1/staff/messages?${q}`), 422, 'cursor_invalid');
        await env.db.exec("DELETE FROM conversation WHERE idempotency_key LIKE 'page-%' AND account_id IS NULL");
    });

    test('a staff reply appears in the citizen\'s Postfach as unread; a notification mail without social data arrives over SMTP; opening marks it read', async () => {
        const env = h.env;
        const mark = env.mail.mark();
        const reply = 'Sehr geehrte Frau Mustermann, Ihre Unterlagen sind vollständig. Geheimwort Zitrone.';
        const r = await lA.c.post('/api/v1/staff/messages/reply', { conversation: conv.id, text: reply },
            { csrf: true });
        assert.equal(r.status, 201, r.text);
        const list = await cit.c.get('/api/v1/messages');
        const c = list.json.conversations.find((x) => x.id === conv.id);
        assert.equal(c.unread, 1);
        assert.equal(c.messages, 2);
        const m = await env.mail.waitFor(cit.email, { subject: SUBJ_NEW, since: mark });
        assert.match(m.body, /Bitte melden Sie sich an/);
        assert.ok(m.body.includes(`${env.base}/start.html`), m.body);
        for (const secret of ['Zitrone', 'Nebenkosten', 'Frau leistung', cit.cust.kundennummer,
            cit.cust.family_name, 'Miete', 'Leistung']) {
            assert.ok(!m.body.includes(secret), `mail holds "${secret}": ${m.body}`);
            assert.ok(!m.subject.includes(secret));
        }
        const open = await cit.c.get(`/api/v1/messages/conversation?id=${conv.id}`);
        assert.equal(open.status, 200, open.text);
        const msgs = open.json.conversation.messages;
        assert.equal(msgs[1].from, 'jobcenter');
        assert.equal(msgs[1].body, reply);
        assert.equal(msgs[1].unread, true, 'shown as new the first time');
        assert.ok(await env.db.scalar(`SELECT read_at FROM message WHERE id = ${msgs[1].id}`) > 0, 'opened-at recorded');
        const again = await cit.c.get('/api/v1/messages');
        assert.equal(again.json.conversations.find((x) => x.id === conv.id).unread, 0);
        assertError(await other.c.get(`/api/v1/messages/conversation?id=${conv.id}`), 404, 'conversation_unknown');
        assert.equal(await env.db.scalar(`SELECT count(*) FROM staff_audit WHERE action = 'message_replied'`), 1);
    });

    test('the citizen replies into the conversation with an attachment; it is "neu" again for the team', async () => {
        const d = await newDraft(cit.c);
        const pdf = samples.pdf(2000);
        assert.equal((await uploadRaw(cit.c, d, pdf, 'Nachtrag.pdf')).status, 201);
        const k = key();
        const r = await cit.c.post('/api/v1/messages/reply', { conversation: conv.id, text: 'Danke, anbei ein Nachtrag.',
            draft: d, idempotency_key: k }, { csrf: true });
        assert.equal(r.status, 201, r.text);
        const last = r.json.conversation.messages.at(-1);
        assert.equal(last.files.length, 1);
        assert.equal(r.json.conversation.status, 'neu');
        const again = await cit.c.post('/api/v1/messages/reply', { conversation: conv.id, text: 'Danke, anbei ein Nachtrag.',
            idempotency_key: k }, { csrf: true });
        assert.equal(again.status, 200, again.text);
        assert.equal(again.json.conversation.messages.length, 3);
        assertError(await other.c.post('/api/v1/messages/reply', { conversation: conv.id, text: 'x',
            idempotency_key: key() }, { csrf: true }), 404, 'conversation_unknown');
        const st = await lA.c.post('/api/v1/staff/messages/status', { conversation: conv.id, status: 'erledigt' },
            { csrf: true });
        assert.equal(st.status, 200, st.text);
        assert.equal(st.json.conversation.status_text, 'erledigt');
    });

    let bescheid;
    test('Bescheid: staff posts a PDF through the upload pipeline; PDF only; the citizen sees provision and delivery day; download marks it opened', async () => {
        const env = h.env;
        const pdf = samples.pdf(6000);
        const mark = env.mail.mark();
        const png = await lA.c.post(`/api/v1/staff/bescheide?customer=${cit.cust.id}&title=Bewilligung`, null,
            { raw: samples.png(), contentType: 'application/pdf', csrf: true });
        assertError(png, 415, 'bescheid_pdf_only');
        const exe = await lA.c.post(`/api/v1/staff/bescheide?customer=${cit.cust.id}&title=Bewilligung`, null,
            { raw: samples.exe(), contentType: 'application/pdf', csrf: true });
        assertError(exe, 415, 'upload_type_not_allowed');
        assertError(await lB.c.post(`/api/v1/staff/bescheide?customer=${cit.cust.id}&title=Bewilligung`, null,
            { raw: pdf, contentType: 'application/pdf', csrf: true }), 404, 'customer_unknown');
        assertError(await lA.c.post(`/api/v1/staff/bescheide?customer=${cit.cust.id}&title=`, null,
            { raw: pdf, contentType: 'application/pdf', csrf: true }), 422, 'title_invalid');
        assert.equal(await env.db.scalar('SELECT count(*) FROM bescheid'), 0);
        const filesBefore = storeList(env, 'files').length;
        const r = await lA.c.post(`/api/v1/staff/bescheide?customer=${cit.cust.id}&title=${encodeURIComponent('Bewilligungsbescheid Dezember')}`,
            null, { raw: pdf, contentType: 'application/pdf', csrf: true });
        assert.equal(r.status, 201, r.text);
        assert.equal(storeList(env, 'files').length, filesBefore + 1, 'refused files left nothing');
        bescheid = r.json.bescheid;
        const provided = Number(await env.db.scalar(`SELECT provided_at FROM bescheid WHERE id = ${bescheid.id}`));
        assert.equal(bescheid.delivered_on, expectedDelivery(provided, 'BW'));
        assert.ok(isWorkday(new Date(`${bescheid.delivered_on}T12:00:00`), 'BW'), bescheid.delivered_on);
        const l = await cit.c.get('/api/v1/bescheide');
        assert.equal(l.status, 200, l.text);
        const b = l.json.bescheide[0];
        assert.equal(b.title, 'Bewilligungsbescheid Dezember');
        assert.equal(b.opened_at, null);
        assert.match(b.delivered_on_text, /^\d\d\.\d\d\.\d{4}$/);
        await env.mail.waitFor(cit.email, { subject: SUBJ_NEW, since: mark });
        assert.deepEqual((await other.c.get('/api/v1/bescheide')).json.bescheide, []);
        assert.equal((await download(other.c, b.href)).status, 404);
        const dl = await download(cit.c, b.href);
        assert.equal(dl.status, 200);
        assert.ok(dl.buf.equals(pdf));
        assert.equal(dl.headers.get('content-type'), 'application/pdf');
        assert.equal(dl.headers.get('x-content-type-options'), 'nosniff');
        const after = (await cit.c.get('/api/v1/bescheide')).json.bescheide[0];
        assert.ok(after.opened_at > 0);
        assert.equal(await env.db.scalar(`SELECT count(*) FROM staff_audit WHERE action = 'bescheid_posted'`), 1);
    });

    test('reminder: a Bescheid unopened for JobcenterBescheidReminderDays is reminded by the watchdog, once; an opened one is not', async () => {
        const env = h.env;
        const pdf = samples.pdf(3000);
        const r = await lA.c.post(`/api/v1/staff/bescheide?customer=${other.cust.id}&title=Anhörung`, null,
            { raw: pdf, contentType: 'application/pdf', csrf: true });
        assert.equal(r.status, 201, r.text);
        const mark = env.mail.mark();
        const old = nowSec() - 3 * 86400;
        await env.db.exec(`UPDATE bescheid SET provided_at = ${old} WHERE id IN (${r.json.bescheid.id}, ${bescheid.id})`);
        const m = await env.mail.waitFor(other.email, { subject: SUBJ_REMIND, since: mark, timeoutMs: 20000 });
        assert.ok(!m.body.includes('Anhörung'), m.body);
        await waitUntil(async () => Number(await env.db.scalar(
            `SELECT count(*) FROM bescheid WHERE id = ${r.json.bescheid.id} AND reminder_at IS NOT NULL`)) === 1,
            { what: 'reminder_at set' });
        // a few more watchdog ticks: still one reminder, none for the opened one
        await new Promise((res) => setTimeout(res, 3000));
        assert.equal(env.mail.find(other.email, { subject: SUBJ_REMIND, since: mark }).length, 1);
        assert.equal(env.mail.find(cit.email, { subject: SUBJ_REMIND, since: mark }).length, 0);
    });

    test('Termine: staff posts one (validation, other jobcenter 404); the citizen sees it and asks to reschedule, a message routed to the posting team', async () => {
        const env = h.env;
        const day = new Date(Date.now() + 7 * 86400000);
        const iso = `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, '0')}-${String(day.getDate()).padStart(2, '0')}`;
        let r = await vA.c.post('/api/v1/staff/termine', { customer: cit.cust.id, date: '2020-01-01', time: '25:00',
            place: '', contact: 'Herr Beispiel' }, { csrf: true });
        assertError(r, 422, 'validation_failed');
        assert.deepEqual(r.json.error.details.map((d) => d.code), ['date_past', 'time_invalid', 'place_invalid']);
        assertError(await lB.c.post('/api/v1/staff/termine', { customer: cit.cust.id, date: iso, time: '09:30',
            place: 'Raum 2.14', contact: 'Herr Beispiel' }, { csrf: true }), 404, 'customer_unknown');
        const mark = env.mail.mark();
        r = await vA.c.post('/api/v1/staff/termine', { customer: cit.cust.id, date: iso, time: '09:30',
            place: 'Alter Postplatz 20, Raum 2.14', contact: 'Herr Beispiel' }, { csrf: true });
        assert.equal(r.status, 201, r.text);
        await env.mail.waitFor(cit.email, { subject: SUBJ_NEW, since: mark });
        const l = await cit.c.get('/api/v1/termine');
        const t = l.json.termine[0];
        assert.equal(t.time, '09:30');
        assert.equal(t.place, 'Alter Postplatz 20, Raum 2.14');
        assert.equal(t.team_text, 'Vermittlung / Beratung');
        const rk = key();
        const rs = await cit.c.post('/api/v1/termine/verschieben', { termin: t.id, text: 'Ich bin an dem Tag krank.',
            idempotency_key: rk }, { csrf: true });
        assert.equal(rs.status, 201, rs.text);
        const again = await cit.c.post('/api/v1/termine/verschieben', { termin: t.id, text: 'Ich bin an dem Tag krank.',
            idempotency_key: rk }, { csrf: true });
        assert.equal(again.status, 200, again.text);
        assert.equal(again.json.conversation.id, rs.json.conversation.id);
        assert.equal(rs.json.conversation.anliegen_text, 'Terminanfrage');
        assert.equal(rs.json.conversation.team, 'vermittlung');
        const inbox = await vA.c.get('/api/v1/staff/messages');
        assert.ok(inbox.json.conversations.some((x) => x.id === rs.json.conversation.id));
        assertError(await cit.c.post('/api/v1/termine/verschieben', { termin: t.id, idempotency_key: key() },
            { csrf: true }), 409, 'reschedule_requested');
        assert.equal(await env.db.scalar("SELECT count(*) FROM conversation WHERE subject LIKE 'Bitte um Verschiebung%'"), 1,
            'the refused request left no conversation');
        assertError(await other.c.post('/api/v1/termine/verschieben', { termin: t.id, idempotency_key: key() },
            { csrf: true }), 404, 'termin_unknown');
        assert.equal(await env.db.scalar(`SELECT count(*) FROM staff_audit WHERE action = 'termin_posted'`), 1);
    });

    test('no notification without active Online-Kommunikation: content arrives, nothing is queued for the address', async () => {
        const env = h.env;
        const off = await citizenWithProfile(env, jcA, 'msg-offline', { consent: false });
        const r = await lA.c.post(`/api/v1/staff/bescheide?customer=${off.cust.id}&title=Bescheid`, null,
            { raw: samples.pdf(), contentType: 'application/pdf', csrf: true });
        assert.equal(r.status, 201, r.text);
        assert.equal((await off.c.get('/api/v1/bescheide')).json.bescheide.length, 1);
        // the mail would have been queued in the same transaction
        assert.equal(await env.db.scalar(`SELECT count(*) FROM mail_outbox WHERE rcpt = '${off.email}' AND subject = '${SUBJ_NEW}'`), 0);
        assert.equal(await env.db.scalar(`SELECT count(*) FROM mail_outbox WHERE rcpt = '${cit.email}' AND subject = '${SUBJ_NEW}'`) > 0, true);
    });

    test('deleting the login account keeps the conversation with the customer (staff still see it), unlinked from the account', async () => {
        const env = h.env;
        const gone = await citizenWithProfile(env, jcA, 'msg-delete');
        const r = await send(gone, { subject: 'Vor dem Löschen' });
        assert.equal(r.status, 201, r.text);
        const id = r.json.conversation.id;
        const del = await gone.c.post('/api/v1/konto/loeschen', { password: gone.password, confirm: true },
            { csrf: true });
        assert.equal(del.status, 204, del.text);
        assert.equal(await env.db.scalar(`SELECT count(*) FROM account WHERE id = ${gone.id}`), 0);
        assert.equal(await env.db.scalar(`SELECT account_id FROM conversation WHERE id = ${id}`), null);
        const one = await lA.c.get(`/api/v1/staff/messages/conversation?id=${id}`);
        assert.equal(one.status, 200, one.text);
        assert.equal(one.json.conversation.customer.kundennummer, gone.cust.kundennummer);
        const reply = await lA.c.post('/api/v1/staff/messages/reply', { conversation: id, text: 'Zur Kenntnis.' },
            { csrf: true });
        assert.equal(reply.status, 201, reply.text);
    });

    test('without a person profile 403 profile_required; without a session 401; staff routes need the role', async () => {
        const env = h.env;
        const anon = env.client();
        assertError(await anon.get('/api/v1/messages'), 401, 'not_authenticated');
        const { authenticatedCitizen } = await import('../lib/fixtures.mjs');
        const np = await authenticatedCitizen(env, 'msg-noprofile');
        assertError(await np.c.get('/api/v1/messages'), 403, 'profile_required');
        assertError(await np.c.get('/api/v1/bescheide'), 403, 'profile_required');
        assertError(await cit.c.post('/api/v1/staff/messages/reply', { conversation: conv.id, text: 'x' },
            { csrf: true }), 403, 'staff_only');
    });
});

logTest();
