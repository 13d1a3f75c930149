/**
 * The pure mail module: split a raw message, read the facts the relay decides on, and rebuild the
 * header block from a keep-list. No I/O; the body is never decoded.
 */
export { splitMessage } from './split';
export type { SplitMessage } from './split';
export { inspectHeaders } from './inspect';
export type { HeaderFacts, Mailbox } from './inspect';
export { LOOP_HEADER, rewriteHeaders } from './rewrite';
export type { RewriteOptions } from './rewrite';
export { ADDRESS_REMOVED } from './secrets';
export { keepableMessageId, sesMessageIdFor, sesMessageIdOf } from './thread-fields';
export { formatRfc5322Date } from './header-encoding';
