import { describe, expect, it } from 'vitest';
import { formatPkcs11Uri, isPkcs11Uri, parsePkcs11Uri } from '@sigsum-kit/sdk/node';
import { parseErrorOf } from './parse-error.js';

const MOD = 'module-path=/usr/lib/softhsm/libsofthsm2.so';

describe('RFC 7512 pkcs11: URIs', () => {
  it('parses token, object, id, slot and query attributes, percent-decoding values', () => {
    const u = parsePkcs11Uri(
      `pkcs11:token=My%20Token;manufacturer=SoftHSM%20project;serial=3abc;model=SoftHSM%20v2;slot-id=17;object=log%20key;id=%01%02%ff;type=private;library-version=2.6?${MOD}&pin-source=file:/etc/sigsum/pin`,
    );
    expect(u).toEqual({
      modulePath: '/usr/lib/softhsm/libsofthsm2.so',
      token: 'My Token',
      manufacturer: 'SoftHSM project',
      serial: '3abc',
      model: 'SoftHSM v2',
      slotId: 17n,
      object: 'log key',
      id: Uint8Array.of(1, 2, 255),
      type: 'private',
      libraryVersion: { major: 2, minor: 6 },
      pinSource: { kind: 'file', path: '/etc/sigsum/pin' },
    });
  });

  it('accepts pin-source as file:///path and env:NAME, and no pin-source', () => {
    expect(parsePkcs11Uri(`pkcs11:object=k?${MOD}&pin-source=file:///run/pin`).pinSource).toEqual({ kind: 'file', path: '/run/pin' });
    expect(parsePkcs11Uri(`pkcs11:object=k?${MOD}&pin-source=env:SIGSUM_PIN`).pinSource).toEqual({ kind: 'env', name: 'SIGSUM_PIN' });
    expect(parsePkcs11Uri(`pkcs11:id=%01?${MOD}`).pinSource).toBeUndefined();
  });

  it('round-trips through formatPkcs11Uri', () => {
    const text = `pkcs11:token=a%3Bb;object=caf%C3%A9;id=%00%7F?module-path=/opt/hsm/lib%20x.so&pin-source=env:PIN`;
    const u = parsePkcs11Uri(text);
    expect(u.token).toBe('a;b');
    expect(u.object).toBe('café');
    expect(parsePkcs11Uri(formatPkcs11Uri(u))).toEqual(u);
  });

  it('recognises the scheme case-insensitively and only at the start', () => {
    expect(isPkcs11Uri('PKCS11:object=x')).toBe(true);
    expect(isPkcs11Uri('./pkcs11:object=x')).toBe(false);
    expect(isPkcs11Uri('/etc/log.key')).toBe(false);
  });

  const bad: [string, string, string][] = [
    ['not a pkcs11 URI', 'file:/x', 'pkcs11-uri.scheme'],
    ['missing module-path', 'pkcs11:object=k', 'pkcs11-uri.module-path'],
    ['relative module-path', 'pkcs11:object=k?module-path=lib.so', 'pkcs11-uri.module-path'],
    ['module-name', `pkcs11:object=k?module-name=softhsm2&${MOD}`, 'pkcs11-uri.module-name'],
    ['no key named', `pkcs11:token=t?${MOD}`, 'pkcs11-uri.key'],
    ['empty id', `pkcs11:id=?${MOD}`, 'pkcs11-uri.id'],
    ['unknown path attribute', `pkcs11:object=k;colour=red?${MOD}`, 'pkcs11-uri.attribute'],
    ['vendor attribute', `pkcs11:object=k;x-vendor=1?${MOD}`, 'pkcs11-uri.attribute'],
    ['query attribute in the path', `pkcs11:object=k;${MOD}`, 'pkcs11-uri.attribute'],
    ['path attribute in the query', `pkcs11:id=%01?${MOD}&object=k`, 'pkcs11-uri.attribute'],
    ['duplicate attribute', `pkcs11:object=a;object=b?${MOD}`, 'pkcs11-uri.duplicate'],
    ['attribute without =', `pkcs11:object?${MOD}`, 'pkcs11-uri.syntax'],
    ['empty name', `pkcs11:=k?${MOD}`, 'pkcs11-uri.syntax'],
    ['raw space', `pkcs11:object=a b?${MOD}`, 'pkcs11-uri.syntax'],
    ['fragment', `pkcs11:object=a?${MOD}#x`, 'pkcs11-uri.syntax'],
    ['slash in a path value', `pkcs11:object=a/b?${MOD}`, 'pkcs11-uri.syntax'],
    ['bad percent escape', `pkcs11:object=%zz?${MOD}`, 'pkcs11-uri.syntax'],
    ['non-ASCII unencoded', `pkcs11:object=café?${MOD}`, 'pkcs11-uri.syntax'],
    ['invalid UTF-8 label', `pkcs11:object=%ff?${MOD}`, 'pkcs11-uri.utf8'],
    ['slot-id not decimal', `pkcs11:object=k;slot-id=0x1?${MOD}`, 'pkcs11-uri.slot-id'],
    ['library-version malformed', `pkcs11:object=k;library-version=2.x?${MOD}`, 'pkcs11-uri.library-version'],
    ['type cert', `pkcs11:object=k;type=cert?${MOD}`, 'pkcs11-uri.type'],
    ['relative pin file', `pkcs11:object=k?${MOD}&pin-source=file:pin.txt`, 'pkcs11-uri.pin-source'],
    ['pin-source with a host', `pkcs11:object=k?${MOD}&pin-source=file://host/pin`, 'pkcs11-uri.pin-source'],
    ['pin-source command', `pkcs11:object=k?${MOD}&pin-source=|/bin/cat`, 'pkcs11-uri.pin-source'],
    ['pin-source bad env name', `pkcs11:object=k?${MOD}&pin-source=env:1X`, 'pkcs11-uri.pin-source'],
    ['duplicate query attribute', `pkcs11:object=k?${MOD}&${MOD}`, 'pkcs11-uri.duplicate'],
  ];
  for (const [what, uri, code] of bad) {
    it(`rejects ${what} (${code})`, () => {
      const e = parseErrorOf(() => parsePkcs11Uri(uri));
      expect(e.code).toBe(code);
      expect(e.message).toMatch(/^pkcs11 URI: /);
    });
  }

  it('rejects pin-value without repeating the PIN', () => {
    const e = parseErrorOf(() => parsePkcs11Uri(`pkcs11:object=k?${MOD}&pin-value=90210417`));
    expect(e.code).toBe('pkcs11-uri.pin-value');
    expect(e.message).toContain('pin-source');
    expect(e.message).not.toContain('90210417');
  });
});
