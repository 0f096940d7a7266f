import { describe, expect, test } from 'vitest';
import type { Detector } from '../../../src/compiler/desired-state.ts';
import {
  ALL_DETECTORS,
  DETECTORS,
  detect,
  ibanChecksumValid,
  isIPv6,
  luhnValid,
} from '../../../src/store/pii/detectors.ts';

// Planted values: each must be found by its detector, and by no other.
const planted: [Detector, string][] = [
  ['email', 'please reach jane.doe+billing@example.co.uk today'],
  ['email', 'c000123@example.com'],
  ['phone', 'call +1-555-1234567'],
  ['phone', '+44 20 7946 0958'],
  ['phone', '(212) 555-0199'],
  ['phone', 'mobile 212.555.0199.'],
  ['ssn', 'SSN 123-45-6789 on file'],
  ['credit-card', 'card on file 4111 1111 1111 1111 per call'],
  ['credit-card', '5555-5555-5555-4444'],
  ['credit-card', 'amex 378282246310005'],
  ['credit-card', '3782 822463 10005'],
  ['ip', 'login from 192.168.1.20.'],
  ['ip', 'client 2001:db8:85a3::8a2e:370:7334 connected'],
  ['ip', 'fe80::1ff:fe23:4567:890a'],
  ['iban', 'pay to DE89 3704 0044 0532 0130 00 please'],
  ['iban', 'GB82WEST12345698765432'],
  ['iban', 'fr1420041010050500013m02606'],
];

// Near misses: things that look like PII but are not; no detector may fire.
const nearMisses: [string, string][] = [
  ['invalid Luhn', '4111 1111 1111 1112'],
  ['invalid Luhn, contiguous', '4111111111111112'],
  ['unknown card prefix', '9111 1111 1111 1116'],
  ['mixed card separators', '4111-1111 1111-1111'],
  ['invalid IBAN checksum', 'DE89 3704 0044 0532 0130 01'],
  ['IBAN of the wrong length', 'DE89 3704 0044 0532 0130'],
  ['IBAN of an unknown country', 'ZZ89 3704 0044 0532 0130 00'],
  ['ISO date', 'born 1985-06-15'],
  ['date with a four-digit tail', 'batch 2021-05-1234'],
  ['SSN-shaped, area 000', '000-12-3456'],
  ['SSN-shaped, area 666', '666-12-3456'],
  ['SSN-shaped, area 9xx', '900-12-3456'],
  ['SSN-shaped, group 00', '123-00-4567'],
  ['SSN-shaped, serial 0000', '123-45-0000'],
  ['SSN inside a longer code', 'REF-123-45-6789-X'],
  ['timestamp with offset', '2026-01-05T03:00:00+00:00'],
  ['timestamp', '2026-01-05 03:00:00'],
  ['time of day', 'at 12:30:45'],
  ['C++ scope', 'std::vector<int>'],
  ['MAC address', '00:1A:2B:3C:4D:5E'],
  ['version number', 'v1.2.3.4.5'],
  ['IPv4 out of range', '300.1.1.1'],
  ['IPv4 leading zeros', '010.001.001.001'],
  ['no TLD', 'user@localhost'],
  ['double dot', 'a..b@example.com'],
  ['price', 'USD 1,234.56'],
  ['short number with +', 'score +3.5'],
  ['order id', 'order 12345678'],
  ['plain words', 'renewal call about price'],
  ['empty', ''],
];

describe('PII detectors', () => {
  test.each(planted)('%s is found in %j, and only by its detector', (det, text) => {
    expect(detect(text, ALL_DETECTORS)).toEqual([det]);
  });

  test.each(nearMisses)('%s: %j is not PII', (_why, text) => {
    expect(detect(text, ALL_DETECTORS)).toEqual([]);
  });

  test('every planted value passes its DuckDB prefilter (the prefilter is a superset)', () => {
    for (const [det, text] of planted) {
      // RE2 and JS agree on this subset of syntax; the store runs the same text in DuckDB.
      expect(new RegExp(DETECTORS[det].prefilter).test(text), `${det}: ${text}`).toBe(true);
    }
  });

  test('Luhn and IBAN checksums', () => {
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('79927398710')).toBe(false);
    expect(ibanChecksumValid('GB82WEST12345698765432')).toBe(true);
    expect(ibanChecksumValid('GB82WEST12345698765433')).toBe(false);
  });

  test('IPv6 forms', () => {
    expect(isIPv6('2001:0db8:0000:0000:0000:ff00:0042:8329')).toBe(true);
    expect(isIPv6('::ffff:192.0.2.128')).toBe(true);
    expect(isIPv6('2001:db8::1::2')).toBe(false);
    expect(isIPv6('1:2:3:4:5:6:7')).toBe(false);
  });

  test('several values in one text are all returned, so counts are per match', () => {
    expect(DETECTORS.email.find('a@example.com, b@example.org')).toHaveLength(2);
  });
});
