import type { Verdicts } from './verdicts';

/**
 * Why a message was not relayed. Each reason is recorded on the transmission record and in logs;
 * `bounceable` marks refusals a legitimate, authenticated sender should hear about (a bounce to a
 * forged sender would be backscatter).
 */
export const REFUSAL_REASONS = {
  loop_detected: { bounceable: false, description: 'the message already passed through this relay' },
  null_sender: { bounceable: false, description: 'bounce or notification with an empty envelope sender' },
  auto_submitted: { bounceable: false, description: 'automatic reply or delivery report (RFC 3834)' },
  virus_detected: { bounceable: false, description: 'SES virus scan failed' },
  spam_detected: { bounceable: false, description: 'SES spam verdict failed' },
  // The raw mail stays in S3 until its retention ends, so an operator can inspect it.
  spam_quarantined: { bounceable: false, description: 'SES spam verdict failed; kept for inspection, not relayed' },
  dmarc_reject: { bounceable: false, description: "DMARC failed and the sender's domain asks for rejection" },
  missing_from: { bounceable: false, description: 'no From mailbox to authorise' },
  ambiguous_from: { bounceable: false, description: 'more than one From mailbox' },
  malformed_message: { bounceable: false, description: 'the message could not be parsed' },
  not_an_alias: { bounceable: true, description: 'recipient is not an alias on the relay domain' },
  unknown_alias: { bounceable: true, description: 'no such alias' },
  expired_alias: { bounceable: true, description: 'the alias has expired' },
  // Not bounced: the store learns nothing about the customer's mailbox from the relay.
  // Answered like an unknown alias: the DSN does not say the alias existed.
  alias_disabled: { bounceable: true, description: 'the marketplace disabled the alias' },
  alias_paused: { bounceable: false, description: "the alias is paused after the customer's address hard-bounced" },
  unauthenticated_sender: { bounceable: false, description: 'neither DMARC, nor a DKIM signature aligned with From, nor SPF for an aligned envelope domain passed' },
  unregistered_sender: { bounceable: true, description: "sender is not one of the store's registered and verified senders" },
  not_conversation_owner: { bounceable: true, description: 'only the customer of this conversation may write to it' },
  unknown_store: { bounceable: false, description: 'the alias names a store that no longer exists' },
  message_too_large: { bounceable: true, description: 'larger than SES can send' },
  // Not bounced: the store sees the refusal in its records; the customer's choice is not announced by mail.
  customer_blocked: { bounceable: false, description: "the customer blocked the store's mail to this alias (List-Unsubscribe)" },
  // Both come only after authorisation, so they tell a sender nothing about an alias it may not use.
  rate_limited: { bounceable: true, description: 'over a rate limit for longer than mail is held back' },
  store_paused: { bounceable: true, description: 'the store is paused, for longer than mail is held back' },
} as const satisfies Record<string, { bounceable: boolean; description: string }>;

export type RefusalReason = keyof typeof REFUSAL_REASONS;

/**
 * What a failed SES spam verdict does. Both refuse the message without a bounce (the sender of spam
 * is as good as forged); `quarantine` records it as `spam_quarantined` instead of `spam_detected`,
 * so an operator can find the raw mail, which S3 keeps until its retention ends either way.
 */
export const SPAM_VERDICT_ACTIONS = ['drop', 'quarantine'] as const;
export type SpamVerdictAction = (typeof SPAM_VERDICT_ACTIONS)[number];

export interface ScreeningInput {
  readonly envelopeSender: string;
  readonly verdicts: Verdicts;
  readonly hasLoopHeader: boolean;
  readonly autoSubmitted: boolean;
  readonly looksLikeBounce: boolean;
  /** @default 'drop' */
  readonly spamVerdictAction?: SpamVerdictAction;
}

/**
 * Checks that need no look-up, in order of cheapness. Loops and automatic mail are refused first so
 * that two relays (or a relay and an auto-responder) can never ping-pong.
 */
export function screenMessage(input: ScreeningInput): RefusalReason | undefined {
  if (input.hasLoopHeader) return 'loop_detected';
  if (input.envelopeSender.trim() === '' || input.envelopeSender.trim() === '<>') return 'null_sender';
  if (input.autoSubmitted || input.looksLikeBounce) return 'auto_submitted';
  if (input.verdicts.virus === 'FAIL') return 'virus_detected';
  if (input.verdicts.spam === 'FAIL') return input.spamVerdictAction === 'quarantine' ? 'spam_quarantined' : 'spam_detected';
  if (input.verdicts.dmarc === 'FAIL' && input.verdicts.dmarcPolicy === 'reject') return 'dmarc_reject';
  return undefined;
}
