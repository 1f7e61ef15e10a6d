// Reusable notice for pages that need active Online-Kommunikation (uploads,
// messages). Usage in a page module:
//
//   import { requireOnline } from './online-notice.js';
//   const ok = await requireOnline(byId('online-notice'), { what: 'Dokumente hochladen' });
//   if (!ok.active) return;   // the notice is shown instead of the form
//
// It asks GET /api/v1/online-kommunikation. When the consent is not active
// it fills the container (an empty element of the page, e.g.
// <div id="online-notice" hidden></div>) with the seed's explanation and a
// link to online-kommunikation.html, shows it and resolves to
// {active: false, status, data}. Active: the container stays hidden and it
// resolves to {active: true, ...}. On 401 it sends the browser to the login
// page with this page as return path (resolves {active: false, status:
// 401}). Every text goes in with textContent (strict CSP, no HTML strings).

import { api, errorMessage } from './api.js';

const ROUTE = '/api/v1/online-kommunikation';
export const ONLINE_PAGE = 'online-kommunikation.html';

function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
}

// Fill container with the explanation; what = the action that needs the
// consent ("Dokumente hochladen", "Nachrichten schreiben").
export function renderNotice(container, { what, emailConfirmed = true } = {}) {
    container.textContent = '';
    container.classList.add('online-notice');
    container.setAttribute('role', 'region');
    container.setAttribute('aria-labelledby', 'online-notice-heading');
    const h = el('h2', null, 'Online-Kommunikation ist nicht aktiviert');
    h.id = 'online-notice-heading';
    h.tabIndex = -1;
    container.appendChild(h);
    container.appendChild(el('p', 'notice notice-info',
        'Ohne Ihre explizite Einwilligung stellen wir Ihnen aktiv keine persönlichen Inhalte in Ihr Profil '
        + 'ein. Dazu zählen Schriftstücke (Bescheide, Nachweise, Schreiben), Anträge und '
        + 'Postfachnachrichten im Leistungspostfach.'));
    container.appendChild(el('p', null, (what ? `Um „${what}“ zu nutzen, ` : 'Um diese Funktion zu nutzen, ')
        + 'stimmen Sie bitte zuerst der Online-Kommunikation zu.'
        + (emailConfirmed ? '' : ' Dafür benötigen Sie eine bestätigte E-Mail-Adresse.')));
    const actions = el('div', 'actions');
    const a = el('a', 'button button-primary', 'Online-Kommunikation aktivieren');
    a.href = ONLINE_PAGE;
    a.id = 'online-notice-link';
    actions.appendChild(a);
    container.appendChild(actions);
    container.hidden = false;
}

export async function requireOnline(container, opts = {}) {
    const res = await api('GET', ROUTE);
    if (res.status === 401) {
        const here = window.location.pathname + window.location.search;
        window.location.replace('anmeldung.html?ziel=' + encodeURIComponent(here));
        return { active: false, status: 401, data: res.data };
    }
    if (res.status !== 200 || !res.data) {
        if (container) {
            container.textContent = '';
            container.appendChild(el('p', 'notice notice-warning', errorMessage(res)));
            container.hidden = false;
        }
        return { active: false, status: res.status, data: res.data };
    }
    if (res.data.active) {
        if (container) container.hidden = true;
        return { active: true, status: 200, data: res.data };
    }
    if (container) {
        renderNotice(container, { what: opts.what, emailConfirmed: res.data.email_confirmed });
    }
    return { active: false, status: 200, data: res.data };
}
