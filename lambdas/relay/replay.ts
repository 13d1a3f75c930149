/**
 * SQS message attribute `anshin dlq replay` puts on a notification it sends back from the
 * dead-letter queue: the relay then tries again the deliveries it dead-lettered before, which
 * ordinary redeliveries skip.
 */
export const REPLAY_ATTRIBUTE = 'anshinReplay';
