import { describe, expect, it } from 'vitest';
import {
  canonicalBytes,
  parseTrustedKeys,
  sha256Hex as sha,
  trustedKeysFrom,
  verifyManifest,
  verifyPayload,
  VerifyCode,
  type Manifest,
  type VerifyManifestOptions,
} from '../../src/bundle/runtime-format.ts';
import { generateSigningKey, trustedKeysDocument } from '../../src/bundle/keys.ts';
import { signManifest } from '../../src/bundle/sign.ts';
import { encode, NOW, signedBundle } from './fixtures.ts';

const ci = generateSigningKey();
const attacker = generateSigningKey();
const options = (extra: Partial<VerifyManifestOptions> = {}): VerifyManifestOptions => ({
  trustedKeys: trustedKeysFrom([ci.publicKey]),
  env: 'staging',
  minSerial: 5,
  now: NOW,
  ...extra,
});
const clone = (m: Manifest): Manifest => structuredClone(m);

function rejects(bytes: Uint8Array, code: string, extra: Partial<VerifyManifestOptions> = {}): void {
  const result = verifyManifest(bytes, options(extra));
  expect(result.ok ? 'accepted' : result.code).toBe(code);
}

describe('verifyManifest / verifyPayload', () => {
  const good = signedBundle([ci]);

  it('accepts a well-signed bundle and reports each check', () => {
    const result = verifyManifest(good.manifestBytes, options());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.signers).toEqual([ci.keyid]);
    expect(result.value.signed.serial).toBe(7);
    expect(result.checks.length).toBeGreaterThanOrEqual(6);
    const payload = verifyPayload(good.payloadBytes, {
      ...result.value.signed.payload,
      env: 'staging',
      commit: result.value.signed.commit,
    });
    expect(payload.ok).toBe(true);
    if (payload.ok) expect(payload.value.flags.tips?.thresholdPpm).toBe(250_000);
  });

  describe('tamper suite: each case has its own code', () => {
    it('flipped byte inside the signed part → E_SIGNATURE_INVALID', () => {
      const text = new TextDecoder().decode(good.manifestBytes);
      const at = text.indexOf('"serial":7') + '"serial":'.length;
      const bytes = encode(text.slice(0, at) + '9' + text.slice(at + 1));
      rejects(bytes, VerifyCode.SIGNATURE_INVALID);
      // And a flipped hex digit of the payload hash (a different payload smuggled in).
      const m = clone(good.manifest);
      m.signed.payload.sha256 = (m.signed.payload.sha256[0] === '0' ? '1' : '0') + m.signed.payload.sha256.slice(1);
      rejects(canonicalBytes(m), VerifyCode.SIGNATURE_INVALID);
    });

    it('flipped bit in the signature → E_SIGNATURE_INVALID', () => {
      const m = clone(good.manifest);
      const sig = Buffer.from(m.signatures[0]!.sig, 'base64');
      sig[10] = sig[10]! ^ 0x01;
      m.signatures[0]!.sig = sig.toString('base64');
      rejects(canonicalBytes(m), VerifyCode.SIGNATURE_INVALID);
    });

    it('flipped byte in the payload → E_PAYLOAD_HASH_MISMATCH', () => {
      const bytes = Uint8Array.from(good.payloadBytes);
      bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 0x01;
      const result = verifyPayload(bytes, good.manifest.signed.payload);
      expect(result.ok ? 'accepted' : result.code).toBe(VerifyCode.PAYLOAD_HASH_MISMATCH);
    });

    it('signature by an untrusted key → E_SIGNATURE_UNTRUSTED', () => {
      rejects(signedBundle([attacker]).manifestBytes, VerifyCode.SIGNATURE_UNTRUSTED);
    });

    it('an attacker signature with a trusted keyid → E_SIGNATURE_INVALID', () => {
      const forged = signedBundle([attacker]).manifest;
      forged.signatures[0]!.keyid = ci.keyid;
      rejects(canonicalBytes(forged), VerifyCode.SIGNATURE_INVALID);
    });

    it('no signature at all → E_SIGNATURE_MISSING, also when the manifest claims none is needed', () => {
      const m = clone(good.manifest);
      rejects(canonicalBytes({ signed: m.signed, signatures: [] }), VerifyCode.SIGNATURE_MISSING);
      rejects(canonicalBytes({ signed: m.signed }), VerifyCode.SIGNATURE_MISSING);
      rejects(
        canonicalBytes({ signed: { ...m.signed, threshold: 0, unsigned: true }, signatures: [], threshold: 0 }),
        VerifyCode.SIGNATURE_MISSING,
      );
      rejects(canonicalBytes({ signed: m.signed, signatures: null }), VerifyCode.SIGNATURE_MISSING);
    });

    it('truncated signature → E_SIGNATURE_TRUNCATED', () => {
      const m = clone(good.manifest);
      m.signatures[0]!.sig = m.signatures[0]!.sig.slice(0, 60);
      rejects(canonicalBytes(m), VerifyCode.SIGNATURE_TRUNCATED);
    });

    it('serial lower than or equal to the last accepted → E_SERIAL_TOO_LOW', () => {
      rejects(good.manifestBytes, VerifyCode.SERIAL_TOO_LOW, { minSerial: 8 }); // last accepted 7: equal
      rejects(good.manifestBytes, VerifyCode.SERIAL_TOO_LOW, { minSerial: 21 }); // last accepted 20: lower
      expect(verifyManifest(good.manifestBytes, options({ minSerial: 7 })).ok).toBe(true);
    });

    it('expired manifest → E_EXPIRED (accepted and flagged with allowExpired)', () => {
      const later = Date.parse('2026-02-01T00:00:00.000Z');
      rejects(good.manifestBytes, VerifyCode.EXPIRED, { now: later });
      rejects(good.manifestBytes, VerifyCode.EXPIRED, { now: Date.parse(good.manifest.signed.expires) });
      const stale = verifyManifest(good.manifestBytes, options({ now: later, allowExpired: true }));
      expect(stale.ok && stale.value.expired).toBe(true);
    });

    it('wrong environment → E_WRONG_ENV', () => {
      rejects(signedBundle([ci], { env: 'production' }).manifestBytes, VerifyCode.WRONG_ENV);
    });

    it('payload whose length or hash differs → E_PAYLOAD_LENGTH_MISMATCH / E_PAYLOAD_HASH_MISMATCH', () => {
      const other = signedBundle([ci], { env: 'production' }).payloadBytes;
      const ref = good.manifest.signed.payload;
      const longer = verifyPayload(Uint8Array.from([...good.payloadBytes, 0x20]), ref);
      expect(longer.ok ? 'accepted' : longer.code).toBe(VerifyCode.PAYLOAD_LENGTH_MISMATCH);
      expect(other.byteLength).toBe(ref.length + 3); // "production" vs "staging"
      const sameLength = Uint8Array.from(good.payloadBytes);
      sameLength.set(encode('"prod-ab"'), new TextDecoder().decode(sameLength).indexOf('"staging"'));
      const swapped = verifyPayload(sameLength, ref);
      expect(swapped.ok ? 'accepted' : swapped.code).toBe(VerifyCode.PAYLOAD_HASH_MISMATCH);
    });

    it('oversize payload → E_PAYLOAD_TOO_LARGE, before and after fetching', () => {
      const ref = good.manifest.signed.payload;
      const fetched = verifyPayload(good.payloadBytes, ref, { maxBytes: 100 });
      expect(fetched.ok ? 'accepted' : fetched.code).toBe(VerifyCode.PAYLOAD_TOO_LARGE);
      rejects(good.manifestBytes, VerifyCode.PAYLOAD_TOO_LARGE, { maxPayloadBytes: 100 });
    });

    it('oversize manifest → E_MANIFEST_TOO_LARGE', () => {
      rejects(good.manifestBytes, VerifyCode.MANIFEST_TOO_LARGE, { maxBytes: 100 });
    });

    it('manifest that is not JSON → E_MANIFEST_NOT_JSON', () => {
      rejects(encode('<html>502 Bad Gateway</html>'), VerifyCode.MANIFEST_NOT_JSON);
      rejects(good.manifestBytes.subarray(0, good.manifestBytes.length - 1), VerifyCode.MANIFEST_NOT_JSON);
      rejects(new Uint8Array(0), VerifyCode.MANIFEST_NOT_JSON);
    });

    it('manifest with duplicate keys → E_MANIFEST_DUPLICATE_KEY', () => {
      const text = new TextDecoder().decode(good.manifestBytes);
      // A second "serial" that JSON.parse would silently prefer.
      rejects(encode(text.replace('"serial":7', '"serial":7,"serial":999')), VerifyCode.MANIFEST_DUPLICATE_KEY);
    });

    it('payload that is not JSON or has duplicate keys → E_PAYLOAD_NOT_JSON / E_PAYLOAD_DUPLICATE_KEY', () => {
      const check = (bytes: Uint8Array) => verifyPayload(bytes, { sha256: sha(bytes), length: bytes.byteLength });
      const notJson = check(encode('{"format":1,'));
      expect(notJson.ok ? 'accepted' : notJson.code).toBe(VerifyCode.PAYLOAD_NOT_JSON);
      const dup = check(encode('{"format":1,"format":1}'));
      expect(dup.ok ? 'accepted' : dup.code).toBe(VerifyCode.PAYLOAD_DUPLICATE_KEY);
      const shape = check(encode('{"format":2}'));
      expect(shape.ok ? 'accepted' : shape.code).toBe(VerifyCode.PAYLOAD_SHAPE);
    });

    it('wrong type, unknown members and bad shapes → E_MANIFEST_TYPE / E_MANIFEST_SHAPE', () => {
      const typed = signManifest({ ...good.manifest.signed, type: 'other' as 'switchyard-bundle' }, [ci]);
      rejects(canonicalBytes(typed), VerifyCode.MANIFEST_TYPE);
      const extra = signManifest({ ...good.manifest.signed, note: 'x' } as unknown as Manifest['signed'], [ci]);
      rejects(canonicalBytes(extra), VerifyCode.MANIFEST_SHAPE);
      rejects(encode('[]'), VerifyCode.MANIFEST_SHAPE);
    });
  });

  it('never throws on hostile options or input', () => {
    const empty = verifyManifest(good.manifestBytes, options({ trustedKeys: { keys: new Map(), threshold: 1 } }));
    expect(empty.ok ? 'accepted' : empty.code).toBe(VerifyCode.OPTIONS);
    for (const text of [
      'null',
      '1',
      '"x"',
      '{"signed":1,"signatures":[1]}',
      '{"signed":{},"signatures":[{"keyid":1}]}',
    ]) {
      expect(verifyManifest(encode(text), options()).ok).toBe(false);
    }
  });

  describe('key rotation', () => {
    const oldKey = generateSigningKey();
    const newKey = generateSigningKey();
    const both = signedBundle([oldKey, newKey]);

    it('a bundle signed by old and new keys verifies for runtimes trusting either or both', () => {
      for (const trusted of [[oldKey], [newKey], [oldKey, newKey]]) {
        const result = verifyManifest(
          both.manifestBytes,
          options({ trustedKeys: trustedKeysFrom(trusted.map((k) => k.publicKey)) }),
        );
        expect(result.ok && result.value.signers.sort()).toEqual(trusted.map((k) => k.keyid).sort());
      }
    });

    it('a threshold of 2 needs both; one signature is E_SIGNATURE_THRESHOLD', () => {
      const trustedKeys = trustedKeysFrom([oldKey.publicKey, newKey.publicKey], 2);
      expect(verifyManifest(both.manifestBytes, options({ trustedKeys })).ok).toBe(true);
      rejects(signedBundle([newKey]).manifestBytes, VerifyCode.SIGNATURE_THRESHOLD, { trustedKeys });
    });

    it('an untrusted signature beside a trusted one is ignored', () => {
      const mixed = signedBundle([attacker, ci]);
      expect(verifyManifest(mixed.manifestBytes, options()).ok).toBe(true);
    });
  });

  describe('trusted-keys file', () => {
    it('round-trips keygen output and checks keyids', () => {
      const doc = trustedKeysDocument([{ key: ci.publicKey, label: 'ci' }, { key: attacker.publicKey }]);
      const parsed = parseTrustedKeys(doc);
      expect(parsed.ok && [...parsed.value.keys.keys()]).toEqual([ci.keyid, attacker.keyid]);
      const wrongId = doc.replace(ci.keyid, attacker.keyid);
      expect(parseTrustedKeys(wrongId).ok).toBe(false);
    });

    it.each([
      ['not JSON', 'keys:'],
      ['no keys', '{"keys":[]}'],
      ['threshold 0', '{"threshold":0,"keys":[{"publicKey":"x"}]}'],
      ['unknown member', '{"keys":[],"trustAll":true}'],
      ['bad key', '{"keys":[{"publicKey":"bm90IGEga2V5"}]}'],
    ])('refuses %s with E_TRUSTED_KEYS_INVALID', (_name, text) => {
      const parsed = parseTrustedKeys(text);
      expect(parsed.ok ? 'accepted' : parsed.code).toBe(VerifyCode.TRUSTED_KEYS_INVALID);
    });
  });
});
