import { isPrintableAscii } from './header-text';
import { checkedField } from './outbound-field';
import type { RewriteContext } from './outbound-field';
import { decodedViews } from './secrets';

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
 * In-Reply-To / References keep only the message IDs that name no party: an ID containing a secret,
 * or whose right-hand side is a secret's domain or a subdomain of it, is left out, and the field
 * goes when none is left. IDs SES assigned to earlier relayed messages survive, which keeps replies
 * threaded. Of a longer list only the first ID and the last `MAX_THREAD_IDS - 1` are considered.
 */
export function messageIdListField(context: RewriteContext, name: 'In-Reply-To' | 'References'): string | undefined {
  const field = context.index.first(name);
  if (!field) return undefined;
  const ids = [...new Set(field.value.match(MESSAGE_ID) ?? [])];
  const considered = ids.length > MAX_THREAD_IDS ? [ids[0] ?? '', ...ids.slice(ids.length - (MAX_THREAD_IDS - 1))] : ids;
  const kept = considered.filter((id) => id.length <= MAX_MESSAGE_ID_LENGTH && isPrintableAscii(id) && !namesAParty(context, id));
  return kept.length > 0 ? checkedField(context, name, kept.join(' ')) : undefined;
}

function namesAParty(context: RewriteContext, id: string): boolean {
  const idRight = id.slice(id.lastIndexOf('@') + 1, -1);
  return context.guard.revealedIn(decodedViews(id)) || context.guard.isSecretDomain(idRight);
}
