/**
 * Domain-name normalization of the `sigsum-token` header, with the verdicts
 * of sigsum-go's `token.NormalizeDomainName`: NFKC, Unicode lowercase, IDNA
 * A-label ↔ U-label round trip (x/net/idna Punycode profile: no mapping, no
 * validation), then the result must be NFKC-normal and lowercase.
 */
import { ParseError } from '../errors.js';
// RFC 3492 from the maintained `punycode` package (its ES module build runs in
// browsers too; Node's built-in `punycode` is deprecated and Node-only).
import punycode from 'punycode/punycode.es6.js';

const punycodeDecode = (label: string): string => punycode.decode(label);
const punycodeEncode = (label: string): string => punycode.encode(label);

const ACE_PREFIX = 'xn--';

/**
 * Lowercase one code point at a time like Go's `strings.ToLower` (simple case
 * mapping): JavaScript's full mapping would turn U+0130 into two code points
 * and a final Σ into ς.
 */
function goToLower(s: string): string {
  let out = '';
  for (const ch of s) {
    if (ch === '\u0130') {
      out += 'i';
      continue;
    }
    const l = ch.toLowerCase();
    out += Array.from(l).length === 1 ? l : ch;
  }
  return out;
}

function isAscii(s: string): boolean {
  return /^[\x00-\x7f]*$/.test(s);
}

/** Go's idna Punycode-profile ToASCII: decode (to check) xn-- labels, encode non-ASCII ones. */
function toAscii(domain: string): string {
  return domain
    .split('.')
    .map((label) => {
      let l = label;
      if (l.startsWith(ACE_PREFIX)) l = punycodeDecode(l.slice(ACE_PREFIX.length));
      return isAscii(l) ? l : ACE_PREFIX + punycodeEncode(l);
    })
    .join('.');
}

/** Go's idna Punycode-profile ToUnicode: decode xn-- labels. */
function toUnicode(domain: string): string {
  return domain
    .split('.')
    .map((label) => (label.startsWith(ACE_PREFIX) ? punycodeDecode(label.slice(ACE_PREFIX.length)) : label))
    .join('.');
}

/**
 * Normalize a domain as sigsum-go does before rate limiting by domain.
 * @throws ParseError `domain.idna` (bad A-label), `domain.normalization` (decodes to non-NFKC or non-lowercase text).
 */
export function normalizeDomainName(domain: string): string {
  const l = goToLower(domain.normalize('NFKC'));
  let a: string;
  let u: string;
  try {
    a = toAscii(l);
    u = toUnicode(a);
  } catch (e) {
    throw new ParseError('domain.idna', `cannot convert ${JSON.stringify(l)} between A-label and U-label form: ${(e as Error).message}`, 'domain');
  }
  if (u.normalize('NFKC') !== u) throw new ParseError('domain.normalization', `A-label domain ${JSON.stringify(a)} decodes to un-normalized ${JSON.stringify(u)}`, 'domain');
  if (goToLower(u) !== u) throw new ParseError('domain.normalization', `A-label domain ${JSON.stringify(a)} decodes to non-lowercase ${JSON.stringify(u)}`, 'domain');
  return u;
}
