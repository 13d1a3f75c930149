import { Headers } from '@zone-eu/mailsplit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitMessage } from '../../../lambdas/mail';
import { parseHeaderFields, trimWsp } from '../../../lambdas/mail/header-fields';
import { corpusPaths, readCorpusMessage } from '../../../devkit/corpus';

/**
 * The scans below read header blocks with native searches and decode values lazily. These are the
 * straightforward readings they must agree with: a byte-by-byte walk for the split, and mailsplit's
 * header parser (bare CRs made LF first) for the fields.
 */
const CR = 0x0d;
const LF = 0x0a;

function referenceLineEnd(raw: Buffer, index: number): number {
  if (raw[index] === LF) return 1;
  if (raw[index] === CR) return raw[index + 1] === LF ? 2 : 1;
  return 0;
}

function referenceSplit(raw: Buffer): { header: string; body: string } {
  const parts = (at: number, bodyAt: number) => ({ header: raw.subarray(0, at).toString('latin1'), body: raw.subarray(bodyAt).toString('latin1') });
  const leading = referenceLineEnd(raw, 0);
  if (leading > 0) return parts(0, leading);
  for (let index = 0; index < raw.length; ) {
    const ending = referenceLineEnd(raw, index);
    if (ending === 0) {
      index += 1;
      continue;
    }
    const next = index + ending;
    const blank = referenceLineEnd(raw, next);
    if (blank > 0) return parts(next, next + blank);
    index = next;
  }
  let lineStart = 0;
  for (let first = true; lineStart < raw.length; first = false) {
    const text = raw.subarray(lineStart, lineStart + 1000).toString('latin1');
    const isField = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/.test(text);
    const isHeaderLine = (first && raw.subarray(0, 5).toString('latin1') === 'From ') || (!first && /^[ \t]/.test(text)) || isField;
    if (!isHeaderLine) break;
    let end = lineStart;
    while (end < raw.length && referenceLineEnd(raw, end) === 0) end += 1;
    lineStart = end + referenceLineEnd(raw, end);
  }
  return parts(lineStart, lineStart);
}

/**
 * mailsplit drops any first line opening with `From ` (mbox) or `POST ` (HTTP), `From : …` too; that is
 * the From field with obsolete space before its colon (RFC 5322 §4.5), so the reference reads it
 * behind a placeholder field that is left out again.
 */
const PLACEHOLDER = 'X-Parity-Placeholder: 1\n';

function referenceFields(header: Buffer): { key: string; value: string }[] {
  const received = header.toString('latin1').replace(/\r(?!\n)/g, '\n');
  const obsoleteFrom = /^(?:From|POST)[ \t]+:/i.test(received);
  const text = obsoleteFrom ? `${PLACEHOLDER}${received}` : received;
  const fields: { key: string; value: string }[] = [];
  for (const [index, { line }] of new Headers(text).getList().entries()) {
    if (obsoleteFrom && index === 0) continue;
    const match = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:/.exec(line);
    if (!match?.[1]) continue;
    fields.push({ key: match[1].toLowerCase(), value: trimWsp(line.slice(match[0].length).replace(/\r\n/g, '')) });
  }
  return fields;
}

const fields = (header: Buffer) => parseHeaderFields(header).map(({ key, value }) => ({ key, value }));

/** Header-ish bytes: names, colons, folds, every kind of line end, blank lines, 8-bit and mbox openings. */
const headerPiece = fc.constantFrom(
  'Subject', 'From', 'from ', 'FROM ', 'POST ', 'To', 'X-Long', ':', ': ', ' :', 'value', 'テスト', '\u00e9', '\r\n', '\n', '\r', '\r\r\n', '\n\r', ' ', '\t',
  '\r\n ', '\n\t', '=?UTF-8?B?44OG?=', 'a@b.example', '\u0000', 'body line', '--b', '',
);
const headerBytes = fc.array(headerPiece, { maxLength: 40 }).map((pieces) => Buffer.from(pieces.join(''), 'utf8'));

describe('splitMessage', () => {
  it('agrees with a byte-by-byte walk on arbitrary line ends, folds and blank lines', () => {
    fc.assert(
      fc.property(headerBytes, (raw) => {
        const split = splitMessage(raw);
        expect({ header: split.header.toString('latin1'), body: split.body.toString('latin1') }).toEqual(referenceSplit(raw));
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with it across the edges of the blocks it searches', () => {
    const block = 128 * 1024;
    for (const at of [block - 2, block - 1, block, 2 * block - 3, 2 * block - 2, 2 * block - 1, 2 * block]) {
      for (const blank of ['\r\n\r\n', '\n\n', '\r\r', '\r\r\n', '\n\r\n']) {
        const raw = Buffer.alloc(at + 64, 0x61);
        raw.write('X-Long: ', 0, 'latin1');
        raw.write(blank, at - 1, 'latin1');
        const split = splitMessage(raw);
        expect({ header: split.header.toString('latin1'), body: split.body.toString('latin1') }).toEqual(referenceSplit(raw));
      }
    }
  });

  it('agrees with it on every corpus message', () => {
    for (const path of corpusPaths()) {
      const raw = readCorpusMessage(path);
      const split = splitMessage(raw);
      expect({ path, header: split.header.toString('latin1'), body: split.body.toString('latin1') }).toEqual({ path, ...referenceSplit(raw) });
    }
  });
});

describe('parseHeaderFields', () => {
  it('reads the same fields and values as mailsplit on arbitrary header blocks', () => {
    fc.assert(
      fc.property(headerBytes, (header) => {
        expect(fields(header)).toEqual(referenceFields(header));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads every corpus header block as mailsplit does', () => {
    for (const path of corpusPaths()) {
      const { header } = splitMessage(readCorpusMessage(path));
      expect({ path, fields: fields(header) }).toEqual({ path, fields: referenceFields(header) });
    }
  });

  it('reads a value only when it is asked for, and the same value each time', () => {
    const [subject, received] = parseHeaderFields(Buffer.from('Subject: a\r\n b\r\nReceived: x\r\n'));

    expect(subject?.key).toBe('subject');
    expect(subject?.value).toBe('a b');
    expect(subject?.value).toBe('a b');
    expect(received).toMatchObject({ key: 'received', value: 'x' });
  });
});
