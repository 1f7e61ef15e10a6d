// Warning before the idle session ends (WCAG 2.2.1 "Timing Adjustable"):
// watchIdle(idle) on the pages behind a login. The server ends a session
// unused for JobcenterSessionIdle seconds (GET /api/v1/me tells the value
// as session.idle_timeout) and writes the last use at most every
// min(60, idle/10) seconds, so after a request at time t the session lives
// at least until t + idle - min(60, idle/10): that is the end this page
// counts down to. Every answered API call (api.js noteActivity, shared
// between the tabs through localStorage) moves it.
//
// min(120, idle/2) seconds before the end a modal dialog says "Ihre
// Sitzung läuft in M:SS Minuten ab" with "Sitzung verlängern" (GET
// /api/v1/me: a request, so the server's idle clock starts again) and
// "Abmelden". When the end comes without either, the session is ended
// (POST /logout) and the page goes to the login with ?sitzung=abgelaufen
// and itself as the way back.

import { api, lastActivity, clearCsrfToken } from './api.js';
import { logout } from './logout.js';

let idle = 0;
let timer = null;
let dialog = null;
let countdown = null;
let started = false;

function grace() {
    return Math.min(60, Math.floor(idle / 10));
}

function endsAt() {
    return lastActivity() + (idle - grace()) * 1000;
}

function lead() {
    return Math.min(120, Math.floor(idle / 2)) * 1000;
}

function mmss(ms) {
    const s = Math.max(0, Math.ceil(ms / 1000));
    return Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0');
}

function build() {
    dialog = document.createElement('dialog');
    dialog.id = 'idle-dialog';
    dialog.className = 'dialog idle-dialog';
    dialog.setAttribute('role', 'alertdialog');
    dialog.setAttribute('aria-labelledby', 'idle-title');
    dialog.setAttribute('aria-describedby', 'idle-text');
    const h = document.createElement('h2');
    h.id = 'idle-title';
    h.textContent = 'Ihre Sitzung läuft bald ab';
    const p = document.createElement('p');
    p.id = 'idle-text';
    p.append('Ihre Sitzung läuft in ');
    countdown = document.createElement('span');
    countdown.id = 'idle-countdown';
    p.append(countdown, ' Minuten ab. Aus Sicherheitsgründen werden Sie dann abgemeldet; '
        + 'nicht gespeicherte Eingaben gehen verloren.');
    const actions = document.createElement('div');
    actions.className = 'actions';
    const extend = document.createElement('button');
    extend.type = 'button';
    extend.id = 'idle-extend';
    extend.className = 'button button-primary';
    extend.textContent = 'Sitzung verlängern';
    extend.addEventListener('click', extendSession);
    const out = document.createElement('button');
    out.type = 'button';
    out.id = 'idle-logout';
    out.className = 'button button-secondary';
    out.textContent = 'Abmelden';
    out.addEventListener('click', () => logout());
    actions.append(extend, out);
    dialog.append(h, p, actions);
    // Escape would only hide the warning, not stop the clock: it extends
    dialog.addEventListener('cancel', (e) => {
        e.preventDefault();
        extendSession();
    });
    document.body.appendChild(dialog);
}

async function extendSession() {
    const res = await api('GET', '/api/v1/me');
    if (res.status === 401) {
        expired();
        return;
    }
    if (dialog && dialog.open) dialog.close();
    tick();
}

// The end: the page's count is a little ahead of the server's (see above),
// so the session is ended now (POST /logout; a 401 means it is gone
// already), then the login says "Ihre Sitzung ist abgelaufen".
let ending = false;
async function expired() {
    if (ending) return;
    ending = true;
    clearTimeout(timer);
    await api('POST', '/api/v1/logout', {});
    clearCsrfToken();
    const here = window.location.pathname + window.location.search;
    window.location.replace('/anmeldung.html?sitzung=abgelaufen&ziel='
        + encodeURIComponent(here));
}

function tick() {
    clearTimeout(timer);
    const left = endsAt() - Date.now();
    if (left <= 0) {
        expired();
        return;
    }
    if (left <= lead()) {
        if (!dialog) build();
        countdown.textContent = mmss(left);
        if (!dialog.open) {
            dialog.showModal();
            dialog.querySelector('#idle-extend').focus();
        }
        timer = setTimeout(tick, 1000);
        return;
    }
    if (dialog && dialog.open) dialog.close();    // activity in another tab
    timer = setTimeout(tick, Math.min(left - lead(), 60000));
}

// Start the watch with the session's idle timeout in seconds (from GET
// /api/v1/me; omitted: asked for once).
export async function watchIdle(idleSeconds) {
    if (started) return;
    started = true;
    let s = Number(idleSeconds);
    if (!(s > 0)) {
        const me = await api('GET', '/api/v1/me');
        s = me.status === 200 && me.data && me.data.session
            ? Number(me.data.session.idle_timeout) : 0;
    }
    if (!(s > 0)) return;
    idle = s;
    window.addEventListener('storage', (e) => {
        if (e.key === 'jc_last_activity') tick();
    });
    // timers of background tabs are throttled: recount on return
    document.addEventListener('visibilitychange', () => {
        if (!document.hidden) tick();
    });
    tick();
}
