import type { SenderVerifications } from '../aliases/ports';
import type { AddedSender, StoreDeps } from '../aliases/stores';
import { addSender } from '../aliases/stores';
import { verificationNotice } from './notices';
import type { NoticeMailer, VerificationTokens } from './ports';
import { hashSecret, newSecret } from './sessions';

/** A verification link works once, for a day. */
const VERIFICATION_VALIDITY_MS = 24 * 60 * 60_000;

export interface SenderVerificationDeps extends StoreDeps {
  readonly tokens: VerificationTokens;
  readonly mailer: NoticeMailer;
  /** The menu's base URL, for the link. */
  readonly menuUrl: string;
}

/**
 * A sender added by the store itself: registered pending, and a single-use link mailed to the
 * address; only whoever reads that mailbox can make it a verified sender. Adding a pending sender
 * again mails a new link; a verified one is left as it is.
 */
export async function addSenderFromMenu(storeId: string, address: string, deps: SenderVerificationDeps): Promise<AddedSender & { readonly mailed: boolean }> {
  const added = await addSender(storeId, address, deps, 'none');
  if (added.verified) return { ...added, mailed: false };
  const token = newSecret();
  await deps.tokens.put({ storeId, tokenHash: hashSecret(token), addressHash: added.addressHash, expiresAt: new Date(deps.now.getTime() + VERIFICATION_VALIDITY_MS) });
  const link = `${deps.menuUrl}/verify?store=${encodeURIComponent(storeId)}&token=${token}`;
  await deps.mailer.send(verificationNotice(address.trim(), storeId, link));
  return { ...added, mailed: true };
}

/** Opens a verification link: true when it was valid and its sender is now verified. */
export async function confirmSender(storeId: string, token: string, deps: { readonly stores: SenderVerifications; readonly tokens: VerificationTokens; readonly now: Date }): Promise<boolean> {
  if (!/^[\w-]{43}$/.test(token)) return false;
  const addressHash = await deps.tokens.take(storeId, hashSecret(token), deps.now);
  if (!addressHash) return false;
  return deps.stores.markSenderVerified(storeId, addressHash, deps.now);
}
