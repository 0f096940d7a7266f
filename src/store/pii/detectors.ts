// PII detectors: find personal data in free text with checks that keep precision high
// (Luhn for card numbers, ISO 7064 mod-97 for IBANs, SSA rules for SSNs, octet ranges for
// IPv4, RFC 4291 grouping for IPv6). Pure: no I/O, usable by the store, serving and tests.
//
// Each detector has a cheap RE2 prefilter that DuckDB evaluates over whole columns, and a
// precise check that runs only on the values the prefilter let through.
import type { Detector } from '../../compiler/desired-state.ts';

export interface DetectorSpec {
  name: Detector;
  /** RE2 syntax (DuckDB `regexp_matches`): a superset of what `find` accepts. */
  prefilter: string;
  /** Every accepted match in `text`; the values are for the caller's counting only. */
  find(text: string): string[];
}

export const DETECTORS: Readonly<Record<Detector, DetectorSpec>> = {
  email: {
    name: 'email',
    prefilter: '[A-Za-z0-9._%+-]@[A-Za-z0-9-]+\\.[A-Za-z0-9.-]',
    find: findEmails,
  },
  phone: {
    name: 'phone',
    prefilter: '\\+\\d|\\d{3}\\)?[-. ]\\d{3}[-. ]\\d{4}',
    find: findPhones,
  },
  ssn: {
    name: 'ssn',
    prefilter: '\\d{3}-\\d{2}-\\d{4}',
    find: findSsns,
  },
  'credit-card': {
    name: 'credit-card',
    prefilter: '\\d(?:[ -]?\\d){12,18}',
    find: findCards,
  },
  ip: {
    name: 'ip',
    prefilter: '\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}|[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:',
    find: (t) => [...findIPv4(t), ...findIPv6(t)],
  },
  iban: {
    name: 'iban',
    prefilter: '[A-Za-z]{2}\\d{2} ?[A-Za-z0-9]{4}',
    find: findIbans,
  },
};

export const ALL_DETECTORS = Object.keys(DETECTORS) as Detector[];

/** The detectors among `names` that match somewhere in `text`. */
export function detect(text: string, names: readonly Detector[]): Detector[] {
  return names.filter((n) => DETECTORS[n].find(text).length > 0);
}

// --- email -------------------------------------------------------------------------------

const EMAIL =
  /(?<![\w.%+-])([A-Za-z0-9][A-Za-z0-9._%+-]{0,63})@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24})(?![\w-]|\.[A-Za-z0-9])/g;

function findEmails(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(EMAIL)) {
    const local = m[1]!;
    if (local.endsWith('.') || local.includes('..')) continue;
    out.push(m[0]);
  }
  return out;
}

// --- phone -------------------------------------------------------------------------------

// International (E.164 with separators): '+', a country code, 8 to 15 digits in all.
const PHONE_INTL = /(?<![\w+])\+\d{1,3}(?:[-. ]?\(\d{1,4}\))?(?:[-. ]?\d{1,6}){1,7}(?![\w]|[-.]\d)/g;
// North American national format: (212) 555-0199, 212-555-0199, 1-212-555-0199.
const PHONE_NANP =
  /(?<![\w+-]|\d[-. ])(?:1[-. ])?(?:\(([2-9]\d{2})\) ?|([2-9]\d{2})[-. ])\d{3}[-. ]\d{4}(?![\w]|[-.]\d)/g;

function findPhones(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(PHONE_INTL)) {
    const digits = m[0].replace(/\D/g, '').length;
    if (digits >= 8 && digits <= 15) out.push(m[0]);
  }
  for (const m of text.matchAll(PHONE_NANP)) out.push(m[0]);
  return out;
}

// --- US social security number ------------------------------------------------------------

// Dashed form only: nine bare digits are as likely an order number as an SSN. Not preceded or
// followed by a digit, letter or dash, so `2021-05-1234` or `12-345-67-8901` do not match.
const SSN = /(?<![\w-])(\d{3})-(\d{2})-(\d{4})(?![\w-])/g;

function findSsns(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(SSN)) {
    const area = Number(m[1]);
    // SSA: area 000, 666 and 900-999 are never issued; group 00 and serial 0000 neither.
    if (area === 0 || area === 666 || area >= 900 || m[2] === '00' || m[3] === '0000') continue;
    out.push(m[0]);
  }
  return out;
}

// --- credit card -------------------------------------------------------------------------

// 13 to 19 digits, either contiguous or in groups split by one consistent separator.
const CARD = /(?<![\w-]|\d[ -])\d{4}(?:([ -]?)\d{2,7}){1,4}(?![\w]|[ -]\d)/g;

function findCards(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(CARD)) {
    const raw = m[0];
    const seps = raw.replace(/\d/g, '');
    if (seps.length > 0 && !/^( +|-+)$/.test(seps)) continue; // mixed separators
    const digits = raw.replace(/\D/g, '');
    if (digits.length < 13 || digits.length > 19) continue;
    if (seps.length > 0 && !groupsLookLikeCard(raw)) continue;
    if (/^(\d)\1+$/.test(digits)) continue;
    if (!hasCardPrefix(digits) || !luhnValid(digits)) continue;
    out.push(raw);
  }
  return out;
}

function groupsLookLikeCard(raw: string): boolean {
  const g = raw.split(/[ -]/).map((s) => s.length);
  // 4-4-4-4(-1..3), 4-6-5 (Amex), 4-6-4 (Diners), 4-4-5 / 4-4-4-1 are the printed layouts.
  const head = g.slice(0, -1);
  const last = g[g.length - 1]!;
  if (head.every((n) => n === 4) && last >= 1 && last <= 4) return true;
  return g.length === 3 && g[0] === 4 && g[1] === 6 && (g[2] === 4 || g[2] === 5);
}

/** Issuer prefixes of the major networks (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro). */
export function hasCardPrefix(d: string): boolean {
  const p2 = Number(d.slice(0, 2));
  const p3 = Number(d.slice(0, 3));
  const p4 = Number(d.slice(0, 4));
  const p6 = Number(d.slice(0, 6));
  return (
    d.startsWith('4') ||
    (p2 >= 51 && p2 <= 55) ||
    (p6 >= 222100 && p6 <= 272099) ||
    p2 === 34 ||
    p2 === 37 ||
    p4 === 6011 ||
    p2 === 65 ||
    (p3 >= 644 && p3 <= 649) ||
    (p4 >= 3528 && p4 <= 3589) ||
    p2 === 36 ||
    p2 === 38 ||
    (p3 >= 300 && p3 <= 305) ||
    p2 === 62 ||
    p2 === 50 ||
    (p2 >= 56 && p2 <= 58) ||
    p2 === 63 ||
    p2 === 67
  );
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let n = digits.charCodeAt(i) - 48;
    if (n < 0 || n > 9) return false;
    if (double) {
      n *= 2;
      if (n > 9) n -= 9;
    }
    sum += n;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

// --- IP addresses ------------------------------------------------------------------------

// Four octets 0-255 without leading zeros; not part of a longer dotted run (version numbers
// such as 1.2.3.4.5) and not glued to letters.
const IPV4 = /(?<![\w.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\w]|\.\d)/g;

function octet(s: string): boolean {
  return (s === '0' || !s.startsWith('0')) && Number(s) <= 255;
}

function findIPv4(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(IPV4))
    if (octet(m[1]!) && octet(m[2]!) && octet(m[3]!) && octet(m[4]!)) out.push(m[0]);
  return out;
}

// Candidate tokens: hex digits, colons and (for an embedded IPv4 tail) dots, not glued to
// other word characters, with at least two colons.
const IPV6_TOKEN = /(?<![\w:.])[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?![\w:])/g;

function findIPv6(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(IPV6_TOKEN)) {
    const tok = m[0].replace(/\.$/, ''); // a sentence's full stop
    if (isIPv6(tok)) out.push(tok);
  }
  return out;
}

/** RFC 4291 text form, with `::` compression and an optional IPv4 tail; at least three groups written. */
export function isIPv6(s: string): boolean {
  if (s.length < 3 || s.length > 45) return false;
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const parse = (part: string): string[] | null => (part === '' ? [] : part.split(':'));
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  if (head == null || tail == null) return false;
  const groups = [...head, ...tail];
  let count = 0;
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    if (i === groups.length - 1 && g.includes('.')) {
      const o = g.split('.');
      if (o.length !== 4 || !o.every((x) => /^\d{1,3}$/.test(x) && octet(x))) return false;
      count += 2;
    } else if (/^[0-9A-Fa-f]{1,4}$/.test(g)) count += 1;
    else return false;
  }
  // Precision: a bare `::1` or `a::b` is too short to be worth flagging as someone's address.
  if (count < 3) return false;
  return halves.length === 2 ? count < 8 : count === 8;
}

// --- IBAN --------------------------------------------------------------------------------

/** IBAN length per country (SWIFT IBAN registry). */
// prettier-ignore
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28, CH: 21, CR: 22,
  CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22,
  GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30,
  KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27,
  MT: 31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33,
  SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29,
  VA: 22, VG: 24, XK: 20, YE: 30,
};

const IBAN_START = /(?<![A-Za-z0-9])([A-Za-z]{2})(\d{2})/g;

function findIbans(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(IBAN_START)) {
    const len = IBAN_LENGTHS[m[1]!.toUpperCase()];
    if (len == null) continue;
    // Read exactly `len` alphanumerics, allowing single spaces between them (print format).
    let compact = '';
    let i = m.index;
    while (i < text.length && compact.length < len) {
      const ch = text[i]!.toUpperCase();
      if (/[A-Z0-9]/.test(ch)) {
        compact += ch;
        i++;
      } else if (ch === ' ' && compact.length >= 4 && i + 1 < text.length && /[A-Za-z0-9]/.test(text[i + 1]!))
        i++;
      else break;
    }
    if (compact.length !== len) continue;
    if (i < text.length && /[A-Za-z0-9]/.test(text[i]!)) continue; // longer than the country's IBAN
    if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(compact) || !ibanChecksumValid(compact)) continue;
    out.push(text.slice(m.index, i));
  }
  return out;
}

/** ISO 13616 / ISO 7064 mod 97-10: move the first four characters to the end, letters to 10..35, remainder 1. */
export function ibanChecksumValid(iban: string): boolean {
  const s = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (const ch of s) {
    const code = ch.charCodeAt(0);
    const v = code >= 65 && code <= 90 ? code - 55 : code - 48;
    if (v < 0 || v > 35) return false;
    rem = v >= 10 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97;
  }
  return rem === 1;
}
