// email-gesendet.html: shows the address from ?email= (as text only) and
// offers to send the confirmation link again.

import { setupResendForm } from './resend.js';
import { byId, param } from './ui.js';

const raw = param('email');
const address = raw && raw.includes('@') && raw.length <= 254
    ? raw.trim() : null;

if (address) {
    byId('sent-address').textContent = address;
} else {
    byId('sent-to').hidden = true;
}

setupResendForm({ knownEmail: () => address });
