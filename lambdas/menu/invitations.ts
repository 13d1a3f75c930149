import { randomInt } from 'node:crypto';
import { invitationNotice } from './notices';
import type { IdentityProvider, NoticeMailer } from './ports';

const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const DIGITS = '23456789';
const SYMBOLS = '!#$%&*+-=?@^_';
const ALL = UPPER + LOWER + DIGITS + SYMBOLS;

/**
 * A temporary password that meets the pool's policy (at least 12 characters with upper and lower
 * case, a digit and a symbol): 20 characters from a CSPRNG, one of each class guaranteed, without
 * the look-alikes (0/O, 1/l/I) a person copying it from paper would confuse.
 */
export function temporaryPassword(): string {
  const pick = (alphabet: string): string => alphabet.charAt(randomInt(alphabet.length));
  const characters = [pick(UPPER), pick(LOWER), pick(DIGITS), pick(SYMBOLS), ...Array.from({ length: 16 }, () => pick(ALL))];
  for (let i = characters.length - 1; i > 0; i -= 1) {
    const j = randomInt(i + 1);
    [characters[i], characters[j]] = [characters[j] ?? '', characters[i] ?? ''];
  }
  return characters.join('');
}

export interface InvitationDeps {
  readonly identity: IdentityProvider;
  readonly mailer: NoticeMailer;
  readonly menuUrl: string;
}

/**
 * Creates the store's menu account (or gives it a new temporary password) and mails the store ID
 * and temporary password to the store's contact address. The password is returned once, for an
 * operator who hands it over another way; it is never stored or logged.
 */
export async function inviteStore(storeId: string, contact: string, deps: InvitationDeps): Promise<{ readonly temporaryPassword: string; readonly created: boolean }> {
  const password = temporaryPassword();
  const { created } = await deps.identity.invite(storeId, password);
  await deps.mailer.send(invitationNotice(contact, storeId, password, deps.menuUrl));
  return { temporaryPassword: password, created };
}
