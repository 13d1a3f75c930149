import { Logger } from '@aws-lambda-powertools/logger';
import { FunctionFailedError, invokeForReceipt } from '../lambdas/aws/invoke-for-receipt';
import type { Receipt } from '../lambdas/records/receipts';
import type { DataClass } from '../lambdas/records/retention-policy';
import { createDestruction } from '../lambdas/destruction/app';
import type { DestructionTarget } from '../lambdas/destruction/request';
import { createIncidentRegister, createRetentionRun } from '../lambdas/retention/app';
import type { IncidentInput } from '../lambdas/records/incidents';
import { TargetError } from './target';
import type { Target } from './target';

/**
 * Destruction, termination and retention runs as the CLI starts them. On AWS the deployed functions
 * do the work (so the CLI user needs only `lambda:InvokeFunction`, and CloudTrail records who asked);
 * on the local stack the same application code runs in-process against the local servers, with
 * the CLI's clock.
 */

export type Subject = DestructionTarget;

export type ProgressStep = { readonly dataClass: DataClass; readonly removed: number; readonly phase: string };

export { FunctionFailedError };

/** Who the receipts name as requester; CloudTrail names the AWS principal behind it. */
const CLI_REQUESTER = 'cli';

function deployedFunctions(target: Target): NonNullable<Target['functions']> {
  if (!target.functions) throw new TargetError('the deployed stack names no retention or destruction function; deploy the current version first');
  return target.functions;
}

/** The functions' own log lines would mix with the CLI's output (and its --json); the receipt says it all. */
const quietLogger = (serviceName: string) => new Logger({ serviceName, logLevel: 'SILENT' });

function requireDataServices(target: Target): NonNullable<Target['dataServices']> {
  if (!target.dataServices) throw new TargetError('the local stack names no user pool; restart it with the current version (`npm start`)');
  return target.dataServices;
}

function localDestruction(target: Target, now: () => Date) {
  const services = requireDataServices(target);
  return createDestruction({
    logger: quietLogger('anshin-destruction'),
    clients: { dynamodb: target.dynamodb, kms: target.kms, s3: target.s3, cognito: services.cognito, ses: services.ses },
    settings: {
      tables: target.tables,
      inboundBucket: target.inboundBucket,
      hmacKeyId: target.keys.hmacKeyId,
      addressKeyId: target.keys.dataKeyId,
      receiptKeyId: target.keys.receiptKeyId,
      userPoolId: services.userPoolId,
      policy: target.config.retention,
    },
    clock: now,
  });
}

export async function destroySubject(target: Target, subject: Subject, now: () => Date, progress?: (step: ProgressStep) => void): Promise<Receipt> {
  if (target.name === 'aws') {
    const { lambda, destruction } = deployedFunctions(target);
    return invokeForReceipt(lambda, destruction, { action: 'destroy', subject, requestedBy: CLI_REQUESTER });
  }
  return localDestruction(target, now).destroy(subject, CLI_REQUESTER, progress);
}

export async function terminateStore(target: Target, storeId: string, now: () => Date): Promise<Receipt> {
  if (target.name === 'aws') {
    const { lambda, destruction } = deployedFunctions(target);
    return invokeForReceipt(lambda, destruction, { action: 'terminate', storeId, requestedBy: CLI_REQUESTER });
  }
  return localDestruction(target, now).terminate(storeId, CLI_REQUESTER);
}

/**
 * One retention run. `at` replaces the clock: on AWS the function refuses an instant in the future
 * (that would delete data before it is due); locally any instant goes, which is what lets a person
 * watch data expire without waiting months.
 */
export async function runRetention(target: Target, now: () => Date, at?: Date): Promise<Receipt> {
  if (target.name === 'aws') {
    const { lambda, retention } = deployedFunctions(target);
    return invokeForReceipt(lambda, retention, { requestedBy: CLI_REQUESTER, ...(at === undefined ? {} : { now: at.toISOString() }) });
  }
  const clock = at === undefined ? now : () => at;
  const destruction = localDestruction(target, clock);
  const run = createRetentionRun({
    logger: quietLogger('anshin-retention'),
    clients: { dynamodb: target.dynamodb, kms: target.kms, s3: target.s3, ses: requireDataServices(target).ses },
    settings: { tables: target.tables, inboundBucket: target.inboundBucket, receiptKeyId: target.keys.receiptKeyId, policy: target.config.retention },
    // Locally the destruction code runs in-process where AWS would invoke the destruction function.
    storeErasure: { requestErasure: async (storeId: string) => void (await destruction.destroy({ kind: 'store', storeId }, 'retention')) },
    clock,
  });
  return run({ requestedBy: CLI_REQUESTER, now: clock() });
}

/** An entry in the incident register: on AWS through the retention function, which holds the receipt key. */
export async function recordIncidentEntry(target: Target, incident: IncidentInput, requestedBy: string, now: () => Date): Promise<Receipt> {
  if (target.name === 'aws') {
    const { lambda, retention } = deployedFunctions(target);
    return invokeForReceipt(lambda, retention, { action: 'record_incident', incident, requestedBy });
  }
  const record = createIncidentRegister({
    logger: quietLogger('anshin-retention'),
    clients: { dynamodb: target.dynamodb, kms: target.kms, s3: target.s3, ses: requireDataServices(target).ses },
    settings: { tables: target.tables, inboundBucket: target.inboundBucket, receiptKeyId: target.keys.receiptKeyId, policy: target.config.retention },
    clock: now,
  });
  return record(incident, requestedBy);
}
