import { describe, expect, it } from 'vitest';
import { splitMessage } from '../../../lambdas/mail';

const text = (buffer: Buffer) => buffer.toString('latin1');

describe('splitMessage', () => {
  it.each([
    ['CRLF', 'Subject: a\r\nTo: b\r\n\r\nbody\r\n', 'Subject: a\r\nTo: b\r\n', 'body\r\n'],
    ['LF', 'Subject: a\nTo: b\n\nbody\n', 'Subject: a\nTo: b\n', 'body\n'],
    ['bare CR', 'Subject: a\rTo: b\r\rbody\r', 'Subject: a\rTo: b\r', 'body\r'],
    ['mixed line ends', 'Subject: a\r\nTo: b\n\r\nbody', 'Subject: a\r\nTo: b\n', 'body'],
    ['CR CR LF read as a line end and a blank line', 'Subject: a\r\r\nbody', 'Subject: a\r', 'body'],
    ['folded fields', 'Subject: a\r\n b\r\n\tc\r\n\r\nbody', 'Subject: a\r\n b\r\n\tc\r\n', 'body'],
    ['an empty body', 'Subject: a\r\n\r\n', 'Subject: a\r\n', ''],
    ['an empty header block', '\r\nbody', '', 'body'],
    ['an empty message', '', '', ''],
  ])('splits at the blank line with %s', (_label, raw, header, body) => {
    const split = splitMessage(Buffer.from(raw, 'latin1'));

    expect(text(split.header)).toBe(header);
    expect(text(split.body)).toBe(body);
  });

  it('keeps the body byte for byte, blank lines and 8-bit bytes included', () => {
    const body = Buffer.from([0x0d, 0x0a, 0x00, 0xff, 0x1b, 0x24, 0x42, 0x0a, 0x0d, 0x0d, 0x0a, 0x0a]);
    const raw = Buffer.concat([Buffer.from('Subject: x\r\n\r\n'), body]);

    const split = splitMessage(raw);

    expect(split.body.equals(body)).toBe(true);
    expect(split.body.buffer).toBe(raw.buffer);
    expect(split.body.byteOffset).toBe(raw.byteOffset + 14);
  });

  it('treats a message without a blank line as header-only when every line is a field', () => {
    const split = splitMessage(Buffer.from('From: a@example.jp\r\nSubject: x\r\n continued\r\n'));

    expect(text(split.header)).toBe('From: a@example.jp\r\nSubject: x\r\n continued\r\n');
    expect(split.body.length).toBe(0);
  });

  it('starts the body at the first line that is not a field when there is no blank line', () => {
    const split = splitMessage(Buffer.from('From: a@example.jp\nSubject: x\nHello there\nSecond: line\n'));

    expect(text(split.header)).toBe('From: a@example.jp\nSubject: x\n');
    expect(text(split.body)).toBe('Hello there\nSecond: line\n');
  });

  it('keeps a leading mbox From line in the header block', () => {
    const split = splitMessage(Buffer.from('From sender@example.jp Sat Jun  1 12:00:00 2024\nSubject: x\nbody line'));

    expect(text(split.header)).toBe('From sender@example.jp Sat Jun  1 12:00:00 2024\nSubject: x\n');
    expect(text(split.body)).toBe('body line');
  });

  it('accepts the obsolete space before the colon of a field name', () => {
    expect(text(splitMessage(Buffer.from('Subject : x\nbody')).header)).toBe('Subject : x\n');
  });

  // A pass that went back over the message for each line would not finish these within the test's
  // time; how time grows with size is measured by `npm run bench` (quadratic corners).
  it('splits 10 MB without a blank line, every byte in the header or the body', () => {
    const raw = Buffer.alloc(10 * 1024 * 1024, 'X-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n');

    const split = splitMessage(raw);

    expect(split.header.length + split.body.length).toBe(raw.length);
  });

  it('splits 10 MB of bare CRs and of one unterminated line', () => {
    const crs = Buffer.concat([Buffer.from('Subject: x'), Buffer.alloc(10 * 1024 * 1024, 0x0d)]);
    const oneLine = Buffer.alloc(10 * 1024 * 1024, 0x61);

    expect(splitMessage(oneLine).body.length).toBe(oneLine.length);
    // The first pair of CRs is the blank line; what follows it is the body.
    expect(splitMessage(crs).body.length).toBe(crs.length - 'Subject: x'.length - 2);
  });
});
