import { describe, expect, it } from 'vitest';
import { REFUSAL_REASONS, screenMessage } from '../../../lambdas/relay/screening';
import type { ScreeningInput, SpamVerdictAction } from '../../../lambdas/relay/screening';
import type { Verdicts } from '../../../lambdas/relay/verdicts';

const PASS: Verdicts = { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' };
const clean: ScreeningInput = { envelopeSender: 'news@shop.example', verdicts: PASS, hasLoopHeader: false, autoSubmitted: false, looksLikeBounce: false };

describe('screenMessage', () => {
  it('lets a clean message through', () => {
    expect(screenMessage(clean)).toBeUndefined();
  });

  it.each<[string, Partial<ScreeningInput>, string]>([
    ['our own loop header', { hasLoopHeader: true }, 'loop_detected'],
    ['a null sender', { envelopeSender: '' }, 'null_sender'],
    ['a <> sender', { envelopeSender: '<>' }, 'null_sender'],
    ['a sender of blanks only', { envelopeSender: ' \t ' }, 'null_sender'],
    ['a <> sender among blanks', { envelopeSender: ' <> ' }, 'null_sender'],
    ['an auto-reply', { autoSubmitted: true }, 'auto_submitted'],
    ['a delivery report', { looksLikeBounce: true }, 'auto_submitted'],
    ['a virus', { verdicts: { ...PASS, virus: 'FAIL' } }, 'virus_detected'],
    ['spam', { verdicts: { ...PASS, spam: 'FAIL' } }, 'spam_detected'],
    ['DMARC failure under p=reject', { verdicts: { ...PASS, dmarc: 'FAIL', dmarcPolicy: 'reject' } }, 'dmarc_reject'],
  ])('refuses %s', (_label, change, reason) => {
    expect(screenMessage({ ...clean, ...change })).toBe(reason);
  });

  it('refuses a looping message before looking at anything else', () => {
    expect(screenMessage({ ...clean, hasLoopHeader: true, envelopeSender: '', verdicts: { ...PASS, virus: 'FAIL' } })).toBe('loop_detected');
  });

  it('lets a DMARC failure under p=none through to authentication', () => {
    expect(screenMessage({ ...clean, verdicts: { ...PASS, dmarc: 'FAIL', dmarcPolicy: 'none' } })).toBeUndefined();
  });

  it('lets a message that passed DMARC through, whatever policy its domain publishes', () => {
    expect(screenMessage({ ...clean, verdicts: { ...PASS, dmarc: 'PASS', dmarcPolicy: 'reject' } })).toBeUndefined();
    expect(screenMessage({ ...clean, verdicts: { ...PASS, dmarc: 'GRAY', dmarcPolicy: 'reject' } })).toBeUndefined();
  });

  it.each<[SpamVerdictAction | undefined, string]>([
    [undefined, 'spam_detected'],
    ['drop', 'spam_detected'],
    ['quarantine', 'spam_quarantined'],
  ])('refuses spam as %s says: %s', (spamVerdictAction, reason) => {
    const spam = { ...clean, verdicts: { ...PASS, spam: 'FAIL' as const } };
    expect(screenMessage(spamVerdictAction === undefined ? spam : { ...spam, spamVerdictAction })).toBe(reason);
  });

  it.each(['GRAY', 'PROCESSING_FAILED', 'DISABLED'] as const)('lets a spam verdict of %s through even when quarantining', (spam) => {
    expect(screenMessage({ ...clean, verdicts: { ...PASS, spam }, spamVerdictAction: 'quarantine' })).toBeUndefined();
  });

  it('drops a virus before quarantining spam', () => {
    expect(screenMessage({ ...clean, verdicts: { ...PASS, spam: 'FAIL', virus: 'FAIL' }, spamVerdictAction: 'quarantine' })).toBe('virus_detected');
  });
});

describe('REFUSAL_REASONS', () => {
  it('never bounces refusals that could be triggered by a forged sender', () => {
    expect(REFUSAL_REASONS.unauthenticated_sender.bounceable).toBe(false);
    expect(REFUSAL_REASONS.loop_detected.bounceable).toBe(false);
    expect(REFUSAL_REASONS.null_sender.bounceable).toBe(false);
  });

  it.each(['virus_detected', 'spam_detected', 'spam_quarantined', 'dmarc_reject'] as const)('never bounces %s, a verdict on the message itself', (reason) => {
    expect(REFUSAL_REASONS[reason].bounceable).toBe(false);
  });
});
