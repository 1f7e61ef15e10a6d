// A software WebAuthn authenticator on node:crypto for the API tests
// (ES256, EdDSA, RS256; attestation "none"), with knobs for the negative
// cases. The CBOR encoder and the authenticatorData layout follow
// tests/fixtures/webauthn/gen-fixtures.mjs (which runs on import, so it is
// not imported here).
//
//   const a = new SoftAuthenticator({ rpId: '127.0.0.1', origin: env.base });
//   const cred = a.create(options, { alg: -8 });        // register/verify body
//   const asr = a.get(options, { credId: cred.id });    // login/verify body
import crypto from 'node:crypto';

class CMap { constructor(pairs) { this.pairs = pairs; } }

function head(major, n) {
    if (n < 24) return Buffer.from([(major << 5) | n]);
    if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
    if (n < 0x10000) { const b = Buffer.alloc(3); b[0] = (major << 5) | 25; b.writeUInt16BE(n, 1); return b; }
    const b = Buffer.alloc(5); b[0] = (major << 5) | 26; b.writeUInt32BE(n, 1); return b;
}

export function cbor(v) {
    if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v);
    if (typeof v === 'string') { const b = Buffer.from(v, 'utf8'); return Buffer.concat([head(3, b.length), b]); }
    if (Buffer.isBuffer(v)) return Buffer.concat([head(2, v.length), v]);
    if (Array.isArray(v)) return Buffer.concat([head(4, v.length), ...v.map(cbor)]);
    if (v instanceof CMap) return Buffer.concat([head(5, v.pairs.length), ...v.pairs.flatMap(([k, x]) => [cbor(k), cbor(x)])]);
    throw new Error('cannot encode ' + typeof v);
}

export const b64u = (b) => Buffer.from(b).toString('base64url');
export const fromB64u = (s) => Buffer.from(s, 'base64url');
const sha256 = (b) => crypto.createHash('sha256').update(b).digest();
export const UP = 0x01, UV = 0x04, AT = 0x40;

function newKey(alg) {
    if (alg === -7) return crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    if (alg === -257) return crypto.generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 });
    if (alg === -8) return crypto.generateKeyPairSync('ed25519');
    throw new Error('alg ' + alg);
}

function coseKey(alg, publicKey) {
    const j = publicKey.export({ format: 'jwk' });
    if (j.kty === 'EC') return cbor(new CMap([[1, 2], [3, alg], [-1, 1], [-2, fromB64u(j.x)], [-3, fromB64u(j.y)]]));
    if (j.kty === 'RSA') return cbor(new CMap([[1, 3], [3, alg], [-1, fromB64u(j.n)], [-2, fromB64u(j.e)]]));
    return cbor(new CMap([[1, 1], [3, alg], [-1, 6], [-2, fromB64u(j.x)]]));
}

function sign(alg, privateKey, data) {
    if (alg === -7) return crypto.sign('sha256', data, { key: privateKey, dsaEncoding: 'der' });
    if (alg === -257) return crypto.sign('sha256', data, { key: privateKey, padding: crypto.constants.RSA_PKCS1_PADDING });
    return crypto.sign(null, data, privateKey);
}

export class SoftAuthenticator {
    constructor({ rpId, origin }) {
        this.rpId = rpId;
        this.origin = origin;
        this.creds = new Map();   // id (b64u) -> { alg, privateKey, userHandle, count }
    }

    clientData(type, challenge, o) {
        const cd = { type, challenge, origin: o.origin ?? this.origin, crossOrigin: o.crossOrigin ?? false };
        return Buffer.from(JSON.stringify(cd));
    }

    authData(flags, count, attested) {
        const c = Buffer.alloc(4); c.writeUInt32BE(count >>> 0);
        return Buffer.concat([sha256(Buffer.from(this.rpId)), Buffer.from([flags]), c, ...(attested ? [attested] : [])]);
    }

    // navigator.credentials.create() for options (register/options answer).
    // o: alg (default: first of pubKeyCredParams), credId (Buffer, e.g. an
    // existing one), origin, crossOrigin, flags, challenge.
    create(options, o = {}) {
        const alg = o.alg ?? options.pubKeyCredParams[0].alg;
        const { publicKey, privateKey } = newKey(alg);
        const credId = o.credId ?? crypto.randomBytes(32);
        const id = b64u(credId);
        const l = Buffer.alloc(2); l.writeUInt16BE(credId.length);
        const attested = Buffer.concat([Buffer.alloc(16), l, credId, coseKey(alg, publicKey)]);
        const ad = this.authData(o.flags ?? (UP | UV | AT), 0, attested);
        const att = cbor(new CMap([['fmt', 'none'], ['attStmt', new CMap([])], ['authData', ad]]));
        const cd = this.clientData('webauthn.create', o.challenge ?? options.challenge, o);
        if (!o.noStore) this.creds.set(id, { alg, privateKey, userHandle: options.user.id, count: 0 });
        return {
            id, rawId: id, type: 'public-key',
            response: { clientDataJSON: b64u(cd), attestationObject: b64u(att) },
            ...(o.name ? { name: o.name } : {})
        };
    }

    // navigator.credentials.get(): o.credId (b64u; default: the only or
    // first allowed credential), origin, crossOrigin, flags, count (counter
    // to send; default: stored + 1), userHandle (b64u or null), flipSig.
    get(options, o = {}) {
        const id = o.credId ?? options.allowCredentials?.[0]?.id ?? [...this.creds.keys()][0];
        const c = this.creds.get(id);
        if (!c) throw new Error('no credential ' + id);
        const count = o.count ?? c.count + 1;
        if (o.count === undefined) c.count = count;
        const ad = this.authData(o.flags ?? (UP | UV), count);
        const cd = this.clientData('webauthn.get', o.challenge ?? options.challenge, o);
        const sig = sign(c.alg, c.privateKey, Buffer.concat([ad, sha256(cd)]));
        if (o.flipSig) sig[sig.length - 1] ^= 0x01;
        return {
            id, rawId: id, type: 'public-key',
            response: {
                clientDataJSON: b64u(cd), authenticatorData: b64u(ad), signature: b64u(sig),
                userHandle: o.userHandle === undefined ? c.userHandle : o.userHandle
            }
        };
    }
}
