import { resolveMx } from 'node:dns/promises';
import { connect } from 'node:net';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeActiveReceiptRuleSetCommand, SESClient } from '@aws-sdk/client-ses';
import { GetAccountCommand, GetEmailIdentityCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { DynamoReceiptLog } from '../lambdas/records/aws/dynamo-receipt-log';
import { HOME_REGION } from '../lib/config';
import { ANSHIN_VERSION } from '../lib/version';
import { countLocalDeadLetters } from './dlq';
import { verifyReceipts } from './receipt-verification';
import type { Target } from './target';

/**
 * `anshin status`: whether the deployment is well, line by line, each failing line with how to fix
 * it. Checks that only mean something in AWS (receipt rule set, DKIM, MX, SES account, alarms) are
 * skipped on the local stack, and say so.
 */

type CheckStatus = 'ok' | 'fail' | 'skipped';

interface StatusCheck {
  readonly check: string;
  readonly status: CheckStatus;
  readonly detail: string;
  /** How to make a failing check pass. */
  readonly fix?: string;
}

export interface StatusReport {
  readonly target: Target['name'];
  readonly healthy: boolean;
  readonly checks: readonly StatusCheck[];
}

const ok = (check: string, detail: string): StatusCheck => ({ check, status: 'ok', detail });
const fail = (check: string, detail: string, fix: string): StatusCheck => ({ check, status: 'fail', detail, fix });
const skipped = (check: string, detail: string): StatusCheck => ({ check, status: 'skipped', detail });

/** SES's inbound endpoint in the home region: the relay domain's MX must name it. */
const INBOUND_SMTP = `inbound-smtp.${HOME_REGION}.amazonaws.com`;
/** A retention run is daily; two days without a complete one is a failure, as the alarm says. */
const RETENTION_STALE_MS = 2 * 86_400_000;
/** SES's sending quota used above this share is worth a look before it runs out. */
const QUOTA_WARNING = 0.8;

/** Runs a check; an error it throws becomes a failing line naming the error, never a crash. */
async function guarded(check: string, run: () => Promise<StatusCheck>, fix: string): Promise<StatusCheck> {
  try {
    return await run();
  } catch (error) {
    return fail(check, `could not check: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`, fix);
  }
}

function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

async function stackCheck(target: Target): Promise<StatusCheck> {
  if (target.name === 'local') {
    const smtp = target.smtp;
    if (smtp && (await listening(smtp.host, smtp.port))) return ok('stack', `local stack ${ANSHIN_VERSION}, SMTP ingress on ${smtp.host}:${smtp.port}`);
    return fail('stack', 'the local stack described in .local/endpoints.json does not answer', 'start it with `npm start`');
  }
  const deployment = target.deployment;
  if (!deployment) return fail('stack', 'the deployed stack could not be described', 'deploy it with `npx cdk deploy`');
  const settled = /_COMPLETE$/.test(deployment.stackStatus) && !/ROLLBACK|DELETE/.test(deployment.stackStatus);
  const version = deployment.version === undefined ? 'version unknown (deployed before it was published)' : `version ${deployment.version}${deployment.version === ANSHIN_VERSION ? '' : `, this checkout is ${ANSHIN_VERSION}`}`;
  return settled
    ? ok('stack', `${deployment.stackName} ${deployment.stackStatus}, ${version}`)
    : fail('stack', `${deployment.stackName} is ${deployment.stackStatus}, ${version}`, 'read the stack events in CloudFormation and deploy again with `npx cdk deploy`');
}

async function receiptRuleSetCheck(target: Target): Promise<StatusCheck> {
  if (target.name === 'local' || !target.deployment) return skipped('receipt rule set', 'local: mail comes in through the SMTP ingress');
  const expected = target.deployment.receiptRuleSetName;
  const { Metadata } = await new SESClient({ region: HOME_REGION }).send(new DescribeActiveReceiptRuleSetCommand({}));
  return Metadata?.Name === expected
    ? ok('receipt rule set', `${expected} is active`)
    : fail('receipt rule set', `the active rule set is ${Metadata?.Name ?? 'none'}, not ${expected}: no inbound mail reaches the relay`, `aws ses set-active-receipt-rule-set --rule-set-name ${expected} --region ${HOME_REGION} (or deploy with activateReceiptRuleSet: true)`);
}

async function domainCheck(target: Target, ses: SESv2Client | undefined): Promise<StatusCheck> {
  const domain = target.config.relayDomain;
  if (target.name === 'local' || !ses) return skipped('relay domain', `local: ${domain} needs no verification`);
  const identity = await ses.send(new GetEmailIdentityCommand({ EmailIdentity: domain }));
  const dkim = identity.DkimAttributes?.Status ?? 'NOT_STARTED';
  return identity.VerifiedForSendingStatus === true && dkim === 'SUCCESS'
    ? ok('relay domain', `${domain} verified for sending, DKIM ${dkim}`)
    : fail('relay domain', `${domain}: verified for sending ${identity.VerifiedForSendingStatus === true ? 'yes' : 'no'}, DKIM ${dkim}`, `publish the DKIM CNAME records \`aws sesv2 get-email-identity --email-identity ${domain} --region ${HOME_REGION}\` lists, and wait for SES to see them`);
}

async function mxCheck(target: Target): Promise<StatusCheck> {
  const domain = target.config.relayDomain;
  if (target.name === 'local') return skipped('MX', `local: the SMTP ingress stands in for ${INBOUND_SMTP}`);
  const records = await resolveMx(domain);
  const exchanges = records.sort((a, b) => a.priority - b.priority).map((record) => record.exchange.toLowerCase().replace(/\.$/, ''));
  return exchanges.includes(INBOUND_SMTP)
    ? ok('MX', `${domain} → ${exchanges.join(', ')}`)
    : fail('MX', `${domain} → ${exchanges.join(', ') || 'no MX'}: mail to the aliases does not reach SES in ${HOME_REGION}`, `publish \`${domain}. MX 10 ${INBOUND_SMTP}.\``);
}

async function sesAccountCheck(target: Target, ses: SESv2Client | undefined): Promise<StatusCheck> {
  if (target.name === 'local' || !ses) return skipped('SES account', 'local: mail goes to the outbox');
  const account = await ses.send(new GetAccountCommand({}));
  const max = account.SendQuota?.Max24HourSend ?? 0;
  const sent = account.SendQuota?.SentLast24Hours ?? 0;
  const quota = `${sent} of ${max} sent in the last 24 hours`;
  if (account.ProductionAccessEnabled !== true) return fail('SES account', `in the SES sandbox (${quota}): mail reaches verified addresses only`, `request production access for ${HOME_REGION} in the SES console`);
  if (account.SendingEnabled === false) return fail('SES account', `sending is paused for the account (${quota})`, 'read the SES console’s reputation page; bounces and complaints paused it');
  if (max > 0 && sent / max >= QUOTA_WARNING) return fail('SES account', `production access, ${quota} (${Math.round((sent / max) * 100)}%)`, 'ask SES for a higher sending quota before it runs out');
  return ok('SES account', `production access, ${quota}`);
}

async function queuesCheck(target: Target): Promise<StatusCheck> {
  if (target.name === 'local') {
    if (!target.control) return fail('queues', 'the local stack names no control endpoint', 'restart it with `npm start`');
    const dead = await countLocalDeadLetters(target.control);
    return dead === 0 ? ok('queues', 'no dead letters') : fail('queues', `${dead} notification(s) in the dead letters`, '`anshin dlq replay --dry-run` lists them with their reasons; fix the cause, then `anshin dlq replay`');
  }
  const queues = target.queues;
  if (!queues) return fail('queues', 'the deployed stack names no queues', 'deploy the current version');
  const depth = async (url: string): Promise<number> => {
    const { Attributes } = await queues.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }));
    return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
  };
  const [waiting, dead] = await Promise.all([depth(queues.relay), depth(queues.deadLetter)]);
  return dead === 0
    ? ok('queues', `${waiting} waiting in the relay queue, none dead-lettered`)
    : fail('queues', `${waiting} waiting in the relay queue, ${dead} in its dead-letter queue`, '`anshin --target aws dlq replay --dry-run` lists them with their reasons; fix the cause, then `anshin --target aws dlq replay`');
}

async function retentionCheck(target: Target, now: Date): Promise<StatusCheck> {
  const [last] = await new DynamoReceiptLog(target.dynamodb, target.tables.receipts).list({ kind: 'retention', limit: 1 });
  const fix = `run it now: \`anshin${target.name === 'aws' ? ' --target aws' : ''} retention run\`, and read its receipt`;
  if (!last) {
    const young = target.name === 'local' || (target.deployment !== undefined && now.getTime() - target.deployment.createdAt.getTime() < RETENTION_STALE_MS);
    return young ? ok('retention', target.name === 'local' ? 'no run yet (locally, `anshin retention run` runs one)' : 'no run yet; the first is due at the next 03:30 Asia/Tokyo') : fail('retention', 'no retention run on record', fix);
  }
  const age = now.getTime() - Date.parse(last.finishedAt);
  const when = `${last.finishedAt} (${Math.round(age / 3_600_000)} h ago)`;
  if (!last.complete) return fail('retention', `the last run, ${when}, stopped before the end`, fix);
  if (age > RETENTION_STALE_MS && target.name === 'aws') return fail('retention', `the last complete run was ${when}`, fix);
  return ok('retention', `last run ${when}, complete`);
}

async function alarmsCheck(target: Target): Promise<StatusCheck> {
  if (target.name === 'local' || !target.deployment) return skipped('alarms', 'local: no CloudWatch alarms');
  const { MetricAlarms } = await new CloudWatchClient({ region: HOME_REGION }).send(new DescribeAlarmsCommand({ AlarmNamePrefix: `${target.deployment.stackName}-`, StateValue: 'ALARM' }));
  const firing = (MetricAlarms ?? []).map((alarm) => alarm.AlarmName ?? '?');
  return firing.length === 0 ? ok('alarms', 'none in ALARM') : fail('alarms', `in ALARM: ${firing.join(', ')}`, "each alarm's description says what to do (README: Operations > Alarms)");
}

async function receiptsCheck(target: Target, now: Date): Promise<StatusCheck> {
  const reports = await verifyReceipts(target, undefined, now);
  const broken = reports.filter((report) => report.broken);
  const checked = reports.reduce((sum, report) => sum + report.checked, 0);
  return broken.length === 0
    ? ok('receipts', `${checked} signed receipt(s) verified, every chain whole`)
    : fail('receipts', broken.map((report) => `${report.kind} broken at ${report.broken?.receiptId}: ${report.broken?.problem}`).join('; '), 'a receipt was changed or removed: `anshin receipts verify` names it; the audit trail shows who wrote to the receipts table');
}

export async function stackStatus(target: Target, now: Date): Promise<StatusReport> {
  const ses = target.name === 'aws' ? new SESv2Client({ region: HOME_REGION }) : undefined;
  const checks = await Promise.all([
    guarded('stack', () => stackCheck(target), 'check the credentials and the stack name (`--stack-name`)'),
    guarded('receipt rule set', () => receiptRuleSetCheck(target), 'the CLI needs ses:DescribeActiveReceiptRuleSet'),
    guarded('relay domain', () => domainCheck(target, ses), 'the CLI needs ses:GetEmailIdentity'),
    guarded('MX', () => mxCheck(target), `publish \`${target.config.relayDomain}. MX 10 ${INBOUND_SMTP}.\``),
    guarded('SES account', () => sesAccountCheck(target, ses), 'the CLI needs ses:GetAccount'),
    guarded('queues', () => queuesCheck(target), target.name === 'local' ? 'start the local stack with `npm start`' : 'the CLI needs sqs:GetQueueAttributes'),
    guarded('retention', () => retentionCheck(target, now), 'the CLI needs read access to the receipts table'),
    guarded('alarms', () => alarmsCheck(target), 'the CLI needs cloudwatch:DescribeAlarms'),
    guarded('receipts', () => receiptsCheck(target, now), 'the CLI needs kms:GetPublicKey on the receipt key and read access to the receipts table'),
  ]);
  return { target: target.name, healthy: checks.every((check) => check.status !== 'fail'), checks };
}

export function statusLines(report: StatusReport): string[] {
  const mark = { ok: '✓', fail: '✗', skipped: '-' } as const;
  return [
    ...report.checks.flatMap((check) => [`${mark[check.status]} ${check.check}: ${check.detail}`, ...(check.fix ? [`    fix: ${check.fix}`] : [])]),
    report.healthy ? `all well (${report.target})` : `${report.checks.filter((check) => check.status === 'fail').length} check(s) failed (${report.target})`,
  ];
}
