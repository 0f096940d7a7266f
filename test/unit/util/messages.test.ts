import { describe, expect, test } from 'vitest';
import { messageOf, shortDigest } from '../../../src/util/messages.ts';

describe('messageOf', () => {
  test('an error: the first line of its message', () => {
    expect(messageOf(new Error('git failed\n    at spawn (x.js:1)'))).toBe('git failed');
    expect(messageOf(new TypeError('one line'))).toBe('one line');
    expect(messageOf(new Error(''))).toBe('');
  });

  test('is what the hand-written idiom gave for every error', () => {
    for (const m of ['a', 'a\nb', '\nb', 'a\r\nb', ''])
      expect(messageOf(new Error(m))).toBe(new Error(m).message.split('\n')[0] ?? m);
  });

  test('something with a message that is not an Error (a library’s plain object): its message', () => {
    expect(messageOf({ message: 'bad\nrest', code: 'E' })).toBe('bad');
  });

  test('anything else thrown: its text, first line', () => {
    expect(messageOf('plain string\nmore')).toBe('plain string');
    expect(messageOf(42)).toBe('42');
    expect(messageOf(undefined)).toBe('undefined');
    expect(messageOf(null)).toBe('null');
    expect(messageOf({ message: 7 })).toBe('[object Object]');
  });
});

describe('shortDigest', () => {
  test('the first 12 hex digits after sha256:', () => {
    const d = `sha256:${'0123456789abcdef'.repeat(4)}`;
    expect(shortDigest(d)).toBe('0123456789ab');
    expect(shortDigest(d)).toBe(d.slice(7, 19));
  });
});
