// Jobcenter data written straight into a test's database (both drivers), for
// the citizen-side tests of issue 4 until the admin tool and the staff API
// create it: a jobcenter, a staff account (the creator of customers and
// codes), customers and Freischaltcodes (only their SHA-256 is stored, as
// the module does). And a citizen with a complete two-factor session.
//
//   const jc = await createJobcenter(env, { name: 'Jobcenter Rems-Murr' });
//   const staff = await createStaffAccount(env, jc.id);
//   const cust = await createCustomer(env, { jobcenterId: jc.id, createdBy: staff });
//   const { code, grouped, id } = await issueCode(env, cust.id, { createdBy: staff });
//   const u = await authenticatedCitizen(env, 'tag');   // { c, email, password, secret, id }
import crypto from 'node:crypto';
import assert from 'node:assert/strict';
import { lit } from './db.mjs';
import { randomId, uniqueEmail, nowSec, sha256hex } from './util.mjs';
import { strongPassword, registerAndConfirm, addTotp } from './flows.mjs';

export const FSC_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';

// The phone alphabet (mod_jobcenter/jc_fsc.h JC_PHONE_*): no 0/O, 1/I/l,
// 5/S, 2/Z, 8/B, 6/G/b, 9/g/q look-alikes, letters whose cases look alike
// in capitals only. New Kundennummern take their letter from PHONE_UPPER;
// one-time passwords are four groups of four of all 32, joined by '-'.
export const PHONE_UPPER = 'ACEFHJKLMNPRTUVWXY';
export const PHONE_LOWER = 'adefhmnrt';
export const PHONE_DIGITS = '34679';
export const KUNDENNUMMER_NEW = new RegExp(`^[0-9]{3}[${PHONE_UPPER}][0-9]{6}$`);
const PHONE = PHONE_UPPER + PHONE_LOWER + PHONE_DIGITS;
export const ONETIME_PASSWORD = new RegExp(`^[${PHONE}]{4}-[${PHONE}]{4}-[${PHONE}]{4}-[${PHONE}]{4}$`);
export { nowSec };

// A random 12-character code of the module's alphabet (OpenSSL's RNG in the
// module; node's here).
export function newCode() {
    const b = crypto.randomBytes(12);
    return [...b].map((x) => FSC_ALPHABET[x % 32]).join('');
}

export const groupCode = (c) => `${c.slice(0, 4)}-${c.slice(4, 8)}-${c.slice(8, 12)}`;
export const codeHash = sha256hex;

// "123A123456": three digits, one capital letter, six digits (any of
// A-Z, like the numbers issued before the phone alphabet: still valid).
export function newKundennummer() {
    const d = (n) => [...crypto.randomBytes(n)].map((x) => String(x % 10)).join('');
    return `${d(3)}${String.fromCharCode(65 + (crypto.randomBytes(1)[0] % 26))}${d(6)}`;
}

async function idOf(env, sql) {
    const id = await env.db.scalar(sql);
    assert.ok(Number.isInteger(id), `no id from ${sql}`);
    return id;
}

export async function createJobcenter(env, o = {}) {
    const jc = {
        name: o.name || `Jobcenter Test ${randomId(3)}`,
        street: o.street || 'Alter Postplatz 20',
        postcode: o.postcode || '71332',
        city: o.city || 'Waiblingen',
        phone: o.phone || '07151 9519-0',
        opening_hours: o.opening_hours || 'Mo–Fr 08:00–12:00 Uhr\nDo 14:00–18:00 Uhr'
    };
    await env.db.exec('INSERT INTO jobcenter (name, street, postcode, city, phone, opening_hours, created_at) '
        + `VALUES (${lit(jc.name)}, ${lit(jc.street)}, ${lit(jc.postcode)}, ${lit(jc.city)}, ${lit(jc.phone)}, `
        + `${lit(jc.opening_hours)}, ${nowSec()})`);
    jc.id = await idOf(env, `SELECT id FROM jobcenter WHERE name = ${lit(jc.name)}`);
    return jc;
}

// A staff member's account (confirmed, never logs in here) and staff row;
// returns the account id (customer.created_by, freischaltcode.created_by).
export async function createStaffAccount(env, jobcenterId) {
    const email = uniqueEmail('staff');
    const t = nowSec();
    await env.db.exec('INSERT INTO account (email, password_hash, email_confirmed_at, created_at, updated_at) '
        + `VALUES (${lit(email)}, 'x', ${t}, ${t}, ${t})`);
    const id = await idOf(env, `SELECT id FROM account WHERE email = ${lit(email)}`);
    await env.db.exec('INSERT INTO staff (account_id, jobcenter_id, team, role, display_name, created_at) '
        + `VALUES (${id}, ${jobcenterId}, 'leistung', 'sachbearbeitung', 'Frau Test', ${t})`);
    return id;
}

export async function createCustomer(env, o) {
    const c = {
        kundennummer: o.kundennummer || newKundennummer(),
        salutation: o.salutation ?? 'Frau',
        given_name: o.given_name || 'Erika',
        family_name: o.family_name || `Mustermann-${randomId(2)}`,
        birth_date: o.birth_date || '1980-04-01',
        street: 'Hauptstraße 1', postcode: '71332', city: 'Waiblingen'
    };
    // name_key as the module writes it (jc_name_key), for German and ASCII names
    const key = `${c.family_name} ${c.given_name}`.toLowerCase().replace(/ä/g, 'ae').replace(/ö/g, 'oe')
        .replace(/ü/g, 'ue').replace(/ß/g, 'ss').replace(/[\s,]+/g, ' ').trim();
    await env.db.exec('INSERT INTO customer (jobcenter_id, kundennummer, salutation, given_name, family_name, '
        + 'birth_date, street, postcode, city, created_by, created_at, name_key) VALUES '
        + `(${o.jobcenterId}, ${lit(c.kundennummer)}, ${lit(c.salutation)}, ${lit(c.given_name)}, `
        + `${lit(c.family_name)}, ${lit(c.birth_date)}, ${lit(c.street)}, ${lit(c.postcode)}, ${lit(c.city)}, `
        + `${o.createdBy}, ${nowSec()}, ${lit(key)})`);
    c.id = await idOf(env, `SELECT id FROM customer WHERE kundennummer = ${lit(c.kundennummer)}`);
    c.name = `${c.given_name} ${c.family_name}`;
    return c;
}

// A new code for the customer; like the staff side, it voids the customer's
// older unused codes. expiresAt default: in 42 days.
export async function issueCode(env, customerId, { createdBy, expiresAt, code = newCode() } = {}) {
    const t = nowSec();
    await env.db.exec(`UPDATE freischaltcode SET voided_at = ${t} WHERE customer_id = ${customerId} `
        + 'AND used_at IS NULL AND voided_at IS NULL');
    await env.db.exec('INSERT INTO freischaltcode (customer_id, code_hash, created_by, created_at, expires_at) '
        + `VALUES (${customerId}, ${lit(codeHash(code))}, ${createdBy}, ${t}, ${expiresAt ?? t + 42 * 86400})`);
    const id = await idOf(env, `SELECT id FROM freischaltcode WHERE code_hash = ${lit(codeHash(code))}`);
    return { id, code, grouped: groupCode(code) };
}

// One jobcenter with a staff account, for a test file.
export async function jobcenterWithStaff(env, o = {}) {
    const jc = await createJobcenter(env, o);
    jc.staff = await createStaffAccount(env, jc.id);
    return jc;
}

// A customer with a fresh code in jc.
export async function customerWithCode(env, jc, o = {}) {
    const cust = await createCustomer(env, { jobcenterId: jc.id, createdBy: jc.staff, ...o });
    const code = await issueCode(env, cust.id, { createdBy: jc.staff, ...(o.code || {}) });
    return { cust, ...code };
}

// Register, confirm, log in (a new account: mfa_setup_required) and set up
// TOTP through the API: a client whose session is `authenticated` (and
// remembers its CSRF token). client: another client than a new
// env.client({ fresh }) (e.g. with the browser tests' Origin); it then
// registers too (else env.api does).
export async function authenticatedCitizen(env, tag = 'citizen', { fresh = false, client } = {}) {
    const u = await registerAndConfirm(env, uniqueEmail(tag), strongPassword(), client ? { client } : {});
    const c = client || env.client({ fresh });
    const r = await c.post('/api/v1/login', { login: u.email, password: u.password });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.state, 'mfa_setup_required', r.text);
    const { secret } = await addTotp(c);
    const me = await c.get('/api/v1/me');
    assert.equal(me.json.session.state, 'authenticated', me.text);
    return { c, email: u.email, password: u.password, secret, id: me.json.account.id };
}
