// postfach.html, bescheide.html, termine.html: pages of the person profile
// (seed step 14). Their content comes with later issues; until then they
// show the profile line and the empty state, never invented rows. Without
// a person profile: the way to "eServices freischalten".

import { requireFullSession, loadProfile } from './session-guard.js';
import { byId, show } from './ui.js';

async function init() {
    if (!(await requireFullSession())) return;
    const p = await loadProfile();
    if (!p) return;
    show(byId('loading'), false);
    if (!p.profile) {
        show(byId('no-profile'), true);
        return;
    }
    byId('profile-name').textContent = p.profile.name;
    byId('profile-kundennummer').textContent = p.profile.kundennummer;
    show(byId('profile-content'), true);
}

init();
