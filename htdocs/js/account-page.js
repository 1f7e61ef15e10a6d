// The account's own pages (konto.html, sicherheit.html): only a complete
// login (state authenticated) stays there. GET /api/v1/me and
//   401                      -> anmeldung.html (?sitzung=abgelaufen when the
//                               session expired, else ?ziel=<the page>)
//   other failure            -> #loading hidden, #load-failed and the message
//   mfa_required             -> zweiter-faktor.html?ziel=<the page>
//   any other state          -> start.html
// then "Abmelden" is shown. page: the page's file name, e.g. 'konto.html'.

import { api, errorMessage, errorCode } from './api.js';
import { byId, show, showError } from './ui.js';
import { watchIdle } from './session-idle.js';

function ziel(page) {
    return 'ziel=' + encodeURIComponent('/' + page);
}

export function toLogin(res, page) {
    window.location.replace('anmeldung.html'
        + (errorCode(res) === 'session_expired' ? '?sitzung=abgelaufen' : '?' + ziel(page)));
}

// true when the page may stay (the session is authenticated).
export async function requireAuthenticated(page) {
    const me = await api('GET', '/api/v1/me');
    if (me.status === 401) {
        toLogin(me, page);
        return false;
    }
    if (me.status !== 200 || !me.data || !me.data.session) {
        show(byId('loading'), false);
        show(byId('load-failed'), true);
        showError(errorMessage(me), []);
        return false;
    }
    const state = me.data.session.state;
    if (state === 'mfa_required') {
        window.location.replace('zweiter-faktor.html?' + ziel(page));
        return false;
    }
    if (state !== 'authenticated') {
        window.location.replace('start.html');
        return false;
    }
    show(byId('logout'), true);
    watchIdle(me.data.session.idle_timeout);
    return true;
}
