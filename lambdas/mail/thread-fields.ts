import { isPrintableAscii } from './header-text';
import { checkedField } from './outbound-field';
import type { RewriteContext } from './outbound-field';
import { createSecretGuard, decodedViews } from './secrets';
import type { HeaderIndex } from './header-fields';

/** RFC 5322 §3.6.4 msg-id, `<id-left@id-right>`, as found in In-Reply-To and References. */
const MESSAGE_ID = /<[^<>\s]+>/g;
const MAX_MESSAGE_ID_LENGTH = 250;
/**
 * Most message IDs kept: the thread's first and the latest ones. RFC 5322 §3.6.4 builds References
 * by appending to the parent's, so a long thread keeps its root and its recent messages, which is
 * what clients thread on; checking every ID of a hostile field of a million would take seconds.
 */
export const MAX_THREAD_IDS = 100;

/**
 * The IDs SES gives the messages it sends: `<id@ap-northeast-1.amazonses.com>` (or
 * `email.amazonses.com` in us-east-1), where `id` is what SendEmail answered.
 */
const SES_MESSAGE_ID = /^<([A-Za-z0-9-]{1,100})@(?:[a-z0-9-]+\.)?amazonses\.com>$/;

/** Where SES sends the relay's mail from: the relay sends in ap-northeast-1 only. */
const SES_MESSAGE_ID_DOMAIN = 'ap-northeast-1.amazonses.com';

/** The Message-ID SES gives the message it sent under SendEmail ID `id`. */
export function sesMessageIdFor(id: string): string {
  return `<${id}@${SES_MESSAGE_ID_DOMAIN}>`;
}

/** The SendEmail message ID behind an SES Message-ID, or undefined for any other ID. */
export function sesMessageIdOf(id: string): string | undefined {
  return SES_MESSAGE_ID.exec(id)?.[1];
}

/** The message IDs an In-Reply-To and a References field name, deduplicated, in order, at most `MAX_THREAD_IDS`. */
export function threadMessageIds(index: HeaderIndex): string[] {
  const ids = [...new Set([...(index.first('in-reply-to')?.value.match(MESSAGE_ID) ?? []), ...(index.first('references')?.value.match(MESSAGE_ID) ?? [])])];
  return ids.length > MAX_THREAD_IDS ? [ids[0] ?? '', ...ids.slice(ids.length - (MAX_THREAD_IDS - 1))] : ids;
}

/**
 * A message's own ID as the relay may keep it, to give back to its author when the other party
 * answers: printable, of a sane length and shape, and naming none of the parties' addresses.
 */
export function keepableMessageId(id: string | undefined, secrets: readonly string[]): string | undefined {
  if (id === undefined || id.length > MAX_MESSAGE_ID_LENGTH || !isPrintableAscii(id) || !/^<[^<>\s@]+@[^<>\s@]+>$/.test(id)) return undefined;
  return createSecretGuard(secrets, []).revealedIn(decodedViews(id)) ? undefined : id;
}

/**
 * In-Reply-To / References keep only the message IDs that name no party: an ID containing a secret,
 * or whose right-hand side is a secret's domain or a subdomain of it, is left out, and the field
 * goes when none is left. IDs SES assigned to earlier relayed messages survive, which keeps replies
 * threaded. Of a longer list only the first ID and the last `MAX_THREAD_IDS - 1` are considered.
 */
export function messageIdListField(context: RewriteContext, name: 'In-Reply-To' | 'References', translations: ReadonlyMap<string, string> = new Map()): string | undefined {
  const field = context.index.first(name);
  if (!field) return undefined;
  const ids = [...new Set(field.value.match(MESSAGE_ID) ?? [])];
  const considered = ids.length > MAX_THREAD_IDS ? [ids[0] ?? '', ...ids.slice(ids.length - (MAX_THREAD_IDS - 1))] : ids;
  // A translated ID is the recipient's own message's, given back to its author: it reveals nothing
  // the recipient does not know, so the party check does not apply to it.
  const kept = considered.flatMap((id) => {
    const own = translations.get(id);
    if (own !== undefined) return [own];
    return id.length <= MAX_MESSAGE_ID_LENGTH && isPrintableAscii(id) && !namesAParty(context, id) ? [id] : [];
  });
  if (kept.length === 0) return undefined;
  return checkedField(context, name, [...new Set(kept)].join(' '));
}

function namesAParty(context: RewriteContext, id: string): boolean {
  const idRight = id.slice(id.lastIndexOf('@') + 1, -1);
  return context.guard.revealedIn(decodedViews(id)) || context.guard.isSecretDomain(idRight);
}
