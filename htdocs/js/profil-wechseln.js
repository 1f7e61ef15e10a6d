// profil-wechseln.html ("Profil -> Profil wechseln" of the seed's letter):
// the account's profiles - the login account itself and, once the
// Freischaltcode is redeemed, the person profile - and which one the start
// page shows. An account holds at most one person profile: "Personenprofil
// anlegen" then shows the seed's refusal instead of the code page.

import { requireFullSession, loadProfile, selectedProfile, selectProfile } from './session-guard.js';
import { byId, show, showError, showMessages, clearMessages } from './ui.js';

const MSG_SECOND = 'Das Anlegen von mehreren Personenprofilen der Agentur für '
    + 'Arbeit / Jobcenter im selben Konto ist nicht möglich.';

let profile = null;

function render() {
    const person = !!profile && selectedProfile() === 'person';
    show(byId('konto-state'), !person);
    show(byId('person-state'), person);
    show(byId('select-konto'), person);
    show(byId('select-person'), !!profile && !person);
    byId('profile-konto').classList.toggle('is-selected', !person);
    byId('profile-person').classList.toggle('is-selected', person);
    if (person) {
        byId('profile-person').setAttribute('aria-current', 'true');
        byId('profile-konto').removeAttribute('aria-current');
    } else {
        byId('profile-konto').setAttribute('aria-current', 'true');
        byId('profile-person').removeAttribute('aria-current');
    }
}

function choose(which, label) {
    selectProfile(which);
    render();
    showMessages('success', label + ' ist ausgewählt.', [], { focus: false });
}

async function init() {
    const me = await requireFullSession();
    if (!me) return;
    const p = await loadProfile();
    if (!p) return;
    profile = p.profile;
    show(byId('loading'), false);
    byId('konto-name').textContent = me.account.email || me.account.username || '';
    if (profile) {
        byId('person-name').textContent = profile.name;
        byId('person-kundennummer').textContent = profile.kundennummer;
    }
    show(byId('profile-person'), !!profile);
    render();
    show(byId('profiles'), true);
}

byId('select-konto').addEventListener('click', () => choose('konto', 'Ihr Konto'));
byId('select-person').addEventListener('click', () => choose('person', 'Ihr Personenprofil'));
byId('add-person').addEventListener('click', () => {
    clearMessages();
    if (profile) {
        showError(MSG_SECOND, []);
        return;
    }
    window.location.href = 'eservices-freischalten.html';
});

init();
