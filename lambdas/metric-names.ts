/**
 * The CloudWatch metrics the functions emit (embedded metric format, through Powertools Metrics)
 * and the dashboard and alarms read: one namespace, each function's `service` dimension, and a
 * second dimension only where it names a reason, a class or a result. No dimension or value ever
 * carries an address, an alias or a store ID.
 */
export const METRICS_NAMESPACE = 'Anshin';

/** The `service` dimension of each function's metrics: its Powertools service name. */
export const SERVICES = {
  relay: 'anshin-relay',
  feedback: 'anshin-feedback',
  retention: 'anshin-retention',
  destruction: 'anshin-destruction',
  api: 'anshin-api',
  menu: 'anshin-menu',
  fraud: 'anshin-fraud',
  analysis: 'anshin-analysis',
} as const;

export const METRIC = {
  relayed: 'MessagesRelayed',
  /** With dimension `reason`. */
  refused: 'MessagesRefused',
  /** A delivery status notification went back to the sender. */
  bounced: 'BouncesSent',
  held: 'MessagesHeld',
  deadLettered: 'MessagesDeadLettered',
  duplicate: 'DuplicateDeliveries',
  messageSize: 'MessageSize',
  handlerLatency: 'HandlerLatency',
  /** AWS SDK calls the relay made for one SQS record (one inbound message). */
  awsCalls: 'AwsCallsPerMessage',
  /** With dimension `kind` (bounce, complaint). */
  feedback: 'FeedbackRecorded',
  /** With dimension `dataClass`. */
  itemsRemoved: 'RetentionItemsRemoved',
  /** 1 for a run that finished, 0 for one that stopped to go on next time. */
  retentionComplete: 'RetentionRunComplete',
  /** With dimension `kind` (store, customer, termination). */
  destructions: 'Destructions',
  destructionDuration: 'DestructionDuration',
  destructionFailed: 'DestructionsFailed',
  /** With dimension `result` (2xx, 4xx, 5xx). */
  requests: 'Requests',
  /** With dimension `result` (success, wrong_password, locked, …). */
  logins: 'Logins',
  storesFlagged: 'StoresFlagged',
  storesPaused: 'StoresPaused',
  rowsExported: 'AnalysisRowsExported',
} as const;

/** Second dimensions, by name. */
export const DIMENSION = { reason: 'reason', kind: 'kind', dataClass: 'dataClass', result: 'result' } as const;
