// sicherheit.html: the account's sign-in factors. GET /api/v1/me (only
// state authenticated stays here), GET /api/v1/security for the list;
// adding a passkey (passkey/register/*), setting up TOTP (mfa/totp/setup +
// confirm), renaming and deleting passkeys, deleting TOTP
// (security/passkey/*, security/totp/delete).
// Every change may answer 403 reauth_required: then the page asks for the
// password, a code or a passkey (POST /api/v1/security/reauth) and sends
// the same change again.

import { dateDe, dateUmTimeDe } from './german-time.js';
import { api, errorMessage, errorCode } from './api.js';
import { logout } from './logout.js';
import { requireAuthenticated, toLogin as toLoginFrom } from './account-page.js';
import { cleanCode } from './totp-code.js';
import {
    byId, show, showError, showMessages, clearMessages, setFieldError,
    clearFieldErrors, setBusy, isBusy, labelText
} from './ui.js';
import { supported as passkeySupported, registerPasskey } from './webauthn.js';
import { perform, setupReauth } from './reauth.js';

const PAGE = 'sicherheit.html';
const NAME_MAX = 64;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

let data = null;        // last answer of GET /security
let renameId = null;    // passkey being renamed
let deleteTarget = null; // {kind: 'passkey'|'totp', id, name}

const day = dateDe;

const dayTime = dateUmTimeDe;

function lastUsed(epoch) {
    return epoch ? 'zuletzt verwendet am ' + dayTime(epoch) : 'noch nicht verwendet';
}

function toLogin(res) {
    toLoginFrom(res, PAGE);
}

function sessionGone(res) {
    const ec = errorCode(res);
    return res.status === 401 && (ec === 'not_authenticated' || ec === 'session_expired');
}

// UTF-8 bytes of text as base64 (btoa alone takes only Latin-1).
function base64(text) {
    let bin = '';
    for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
    return btoa(bin);
}

// ---- the list ------------------------------------------------------------

function passkeyItem(k) {
    const li = document.createElement('li');
    li.className = 'factor';
    li.dataset.id = String(k.id);
    const name = document.createElement('p');
    name.className = 'factor-name';
    const strong = document.createElement('strong');
    strong.textContent = k.name;
    name.appendChild(strong);
    li.appendChild(name);
    const meta = document.createElement('p');
    meta.className = 'factor-meta';
    meta.textContent = 'Eingerichtet am ' + day(k.created_at) + ', ' + lastUsed(k.last_used_at);
    li.appendChild(meta);
    if (k.flagged) {
        const flag = document.createElement('p');
        flag.className = 'factor-flag';
        flag.textContent = 'Gesperrt: Dieser Passkey wurde möglicherweise kopiert und wird nicht mehr angenommen. Bitte entfernen Sie ihn.';
        li.appendChild(flag);
    }
    const actions = document.createElement('div');
    actions.className = 'actions';
    const ren = document.createElement('button');
    ren.type = 'button';
    ren.className = 'button button-secondary';
    ren.textContent = 'Umbenennen';
    ren.setAttribute('aria-label', 'Passkey „' + k.name + '“ umbenennen');
    ren.addEventListener('click', () => openRename(k, li));
    const del = document.createElement('button');
    del.type = 'button';
    del.className = 'button button-secondary';
    del.textContent = 'Entfernen';
    del.setAttribute('aria-label', 'Passkey „' + k.name + '“ entfernen');
    del.addEventListener('click', () => openDelete({ kind: 'passkey', id: k.id, name: k.name }));
    actions.appendChild(ren);
    actions.appendChild(del);
    li.appendChild(actions);
    return li;
}

function render() {
    const list = byId('passkey-list');
    // the rename form lives in the list item while open; park it first
    closeRename();
    list.textContent = '';
    for (const k of data.passkeys) list.appendChild(passkeyItem(k));
    show(byId('passkey-empty'), data.passkeys.length === 0);
    const totp = data.totp;
    byId('totp-state').textContent = totp
        ? 'Eingerichtet am ' + day(totp.created_at) + ', ' + lastUsed(totp.last_used_at) + '.'
        : 'Nicht eingerichtet. Mit einem zweiten Faktor geben Sie nach Ihrem Passwort einen Code aus einer Authentifizierungs-App ein.';
    show(byId('totp-add'), !totp && !isShown('totp-setup'));
    show(byId('totp-delete'), !!totp);
}

function isShown(id) {
    return !byId(id).hidden;
}

async function refresh() {
    const res = await api('GET', '/api/v1/security');
    if (sessionGone(res)) {
        toLogin(res);
        return false;
    }
    if (res.status === 403 && errorCode(res) === 'state_insufficient') {
        window.location.replace('start.html');
        return false;
    }
    if (res.status !== 200 || !res.data) {
        show(byId('factors'), false);
        show(byId('load-failed'), true);
        showError(errorMessage(res), []);
        return false;
    }
    data = res.data;
    render();
    return true;
}

async function start() {
    clearMessages();
    show(byId('load-failed'), false);
    show(byId('loading'), true);
    if (!(await requireAuthenticated(PAGE))) return;
    const ok = await refresh();
    show(byId('loading'), false);
    if (ok) show(byId('factors'), true);
}

// ---- changes and the check (js/reauth.js) --------------------------------

setupReauth({
    factors: () => ({
        totp: !!(data && data.totp),
        passkey: !!(data && data.passkeys.some((k) => !k.flagged))
    }),
    toLogin: toLogin
});

function success(text) {
    showMessages('success', null, [{ text: text }]);
}

// ---- rename --------------------------------------------------------------

function openRename(k, li) {
    const form = byId('rename-form');
    renameId = k.id;
    clearFieldErrors(form);
    byId('rename_name').value = k.name;
    li.appendChild(form);
    show(form, true);
    byId('rename_name').focus();
}

function closeRename() {
    const form = byId('rename-form');
    renameId = null;
    show(form, false);
    // back to its place outside the list, so re-rendering keeps it
    byId('passkey-add-form').before(form);
}

function nameProblem(name) {
    const n = [...name].length;
    if (name.trim() === '') return 'Bitte geben Sie einen Namen ein.';
    if (n > NAME_MAX) return 'Der Name darf höchstens 64 Zeichen lang sein (jetzt ' + n + ').';
    if (CONTROL.test(name)) return 'Der Name darf keine Steuerzeichen enthalten.';
    return null;
}

byId('rename-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const form = ev.currentTarget;
    if (isBusy(form) || renameId === null) return;
    clearFieldErrors(form);
    const name = byId('rename_name').value;
    const problem = nameProblem(name);
    if (problem) {
        setFieldError('rename_name', problem);
        showError('Bitte prüfen Sie Ihre Eingabe.',
            [{ field: 'rename_name', text: labelText('rename_name') + ': ' + problem }]);
        return;
    }
    const id = renameId;
    setBusy(form, true);
    clearMessages();
    await perform(() => api('POST', '/api/v1/security/passkey/rename', { id: id, name: name }),
        async (res) => {
            setBusy(form, false);
            if (res.status === 204) {
                await refresh();
                success('Der Passkey heißt jetzt „' + name + '“.');
                return;
            }
            if (errorCode(res) === 'name_invalid') {
                setFieldError('rename_name', errorMessage(res));
                showError('Bitte prüfen Sie Ihre Eingabe.',
                    [{ field: 'rename_name', text: labelText('rename_name') + ': ' + errorMessage(res) }]);
                return;
            }
            showError(errorMessage(res), []);
            if (res.status === 404) await refresh();
        });
    setBusy(form, false);
});

byId('rename-cancel').addEventListener('click', () => {
    closeRename();
    clearMessages();
});

// ---- delete --------------------------------------------------------------

function openDelete(target) {
    deleteTarget = target;
    byId('delete-text').textContent = target.kind === 'passkey'
        ? 'Mit dem Passkey „' + target.name + '“ können Sie sich danach nicht mehr anmelden.'
        : 'Codes aus Ihrer Authentifizierungs-App werden danach nicht mehr angenommen.';
    byId('delete-heading').textContent = target.kind === 'passkey'
        ? 'Passkey „' + target.name + '“ entfernen?' : 'Zweiten Faktor entfernen?';
    show(byId('delete-confirm'), true);
    byId('delete-heading').focus();
}

function closeDelete() {
    deleteTarget = null;
    show(byId('delete-confirm'), false);
}

byId('delete-cancel').addEventListener('click', () => {
    closeDelete();
    clearMessages();
});

byId('delete-ok').addEventListener('click', async (ev) => {
    const b = ev.currentTarget;
    const t = deleteTarget;
    if (!t || b.getAttribute('aria-busy') === 'true') return;
    b.setAttribute('aria-busy', 'true');
    clearMessages();
    const run = t.kind === 'passkey'
        ? () => api('POST', '/api/v1/security/passkey/delete', { id: t.id })
        : () => api('POST', '/api/v1/security/totp/delete');
    await perform(run, async (res) => {
        closeDelete();
        if (res.status === 204) {
            await refresh();
            success(t.kind === 'passkey' ? 'Der Passkey „' + t.name + '“ wurde entfernt.'
                : 'Der zweite Faktor wurde entfernt.');
            return;
        }
        showError(errorMessage(res), []);
        if (res.status === 404) await refresh();
    });
    b.removeAttribute('aria-busy');
});

// ---- add a passkey --------------------------------------------------------

byId('passkey-add-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const form = ev.currentTarget;
    if (isBusy(form)) return;
    clearFieldErrors(form);
    const name = byId('new_passkey_name').value;
    const problem = name === '' ? null : nameProblem(name);
    if (problem) {
        setFieldError('new_passkey_name', problem);
        showError('Bitte prüfen Sie Ihre Eingabe.',
            [{ field: 'new_passkey_name', text: labelText('new_passkey_name') + ': ' + problem }]);
        return;
    }
    setBusy(form, true);
    clearMessages();
    await perform(() => registerPasskey(name || undefined), async (res) => {
        setBusy(form, false);
        if (res.status === 200) {
            byId('new_passkey_name').value = '';
            await refresh();
            success('Der Passkey wurde hinzugefügt.');
            return;
        }
        showError(errorMessage(res), []);
    });
    setBusy(form, false);
});

// ---- TOTP ------------------------------------------------------------------

byId('totp-add').addEventListener('click', async (ev) => {
    const b = ev.currentTarget;
    if (b.getAttribute('aria-busy') === 'true') return;
    b.setAttribute('aria-busy', 'true');
    clearMessages();
    await perform(() => api('POST', '/api/v1/mfa/totp/setup', {}), async (res) => {
        if (res.status !== 200 || !res.data || typeof res.data.qr_svg !== 'string') {
            showError(errorMessage(res), []);
            return;
        }
        byId('totp-qr').src = 'data:image/svg+xml;base64,' + base64(res.data.qr_svg);
        byId('totp-secret').textContent = res.data.secret;
        byId('totp_code').value = '';
        show(byId('totp-add'), false);
        show(byId('totp-setup'), true);
        byId('totp-setup-heading').focus();
    });
    b.removeAttribute('aria-busy');
});

byId('totp-setup-cancel').addEventListener('click', () => {
    show(byId('totp-setup'), false);
    clearFieldErrors(byId('totp-form'));
    clearMessages();
    render();
});

byId('totp-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const form = ev.currentTarget;
    if (isBusy(form)) return;
    clearFieldErrors(form);
    const code = cleanCode(byId('totp_code').value);
    if (!code) {
        const text = byId('totp_code').value.trim() === ''
            ? 'Bitte geben Sie den 6-stelligen Code ein.' : 'Der Code besteht aus genau 6 Ziffern.';
        setFieldError('totp_code', text);
        showError('Bitte prüfen Sie Ihre Eingabe.', [{ field: 'totp_code', text: labelText('totp_code') + ': ' + text }]);
        return;
    }
    setBusy(form, true);
    clearMessages();
    await perform(() => api('POST', '/api/v1/mfa/totp/confirm', { code: code }), async (res) => {
        setBusy(form, false);
        if (res.status === 200) {
            show(byId('totp-setup'), false);
            await refresh();
            success('Der zweite Faktor ist eingerichtet.');
            return;
        }
        if (['code_malformed', 'code_invalid', 'code_used'].includes(errorCode(res))) {
            byId('totp_code').value = '';
            setFieldError('totp_code', errorMessage(res));
            showError('Bitte prüfen Sie Ihre Eingabe.',
                [{ field: 'totp_code', text: labelText('totp_code') + ': ' + errorMessage(res) }]);
            return;
        }
        showError(errorMessage(res), []);
    });
    setBusy(form, false);
});

byId('totp-delete').addEventListener('click', () => openDelete({ kind: 'totp' }));

// ---- page ------------------------------------------------------------------

show(byId('passkey-unsupported'), !passkeySupported());
show(byId('passkey-add'), passkeySupported());
show(byId('new_passkey_name').closest('.field'), passkeySupported());
byId('logout').addEventListener('click', logout);
byId('load-retry').addEventListener('click', start);
start();
