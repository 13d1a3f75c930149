import * as z from 'zod';
import { newReceiptId } from './receipts';
import type { IncidentEntry, Receipt, ReceiptLog } from './receipts';
import { DATA_CLASSES, epochSecondsAfter, policyVersion } from './retention-policy';
import type { RetentionPolicy } from './retention-policy';

/**
 * The incident register: incidents, data breaches or not, as receipts of kind `incident`, signed
 * and chained like every other receipt, so none can be changed or removed unnoticed. The yearly
 * statement looks back ten years, so the register keeps its entries eleven, whatever the evidence
 * period.
 */

const INCIDENT_RETENTION_DAYS = 11 * 366;

/** An address-shaped text: a title or description may not name a person by address. */
const ADDRESS_SHAPED = /[^\s@<>"']+@[^\s@<>"']+\.[^\s@<>"']+/;
const noAddress = (field: string) => (value: string) => !ADDRESS_SHAPED.test(value) || `the ${field} may not contain an e-mail address: the register holds no personal data`;

const IncidentInputSchema = z.strictObject({
  occurredAt: z.iso.datetime({ offset: true }),
  title: z.string().trim().min(1).max(200),
  breach: z.boolean(),
  classes: z.array(z.enum(DATA_CLASSES)).min(0),
  affected: z.int().nonnegative(),
  description: z.string().trim().max(8000).default(''),
});

export type IncidentInput = z.infer<typeof IncidentInputSchema>;

export class IncidentInputError extends Error {
  override readonly name = 'IncidentInputError';
}

/** Checks an incident as given (CLI or function event); it may not lie in the future or name anyone by address. */
export function parseIncident(given: unknown, now: Date): IncidentInput {
  const parsed = IncidentInputSchema.safeParse(given);
  if (!parsed.success) throw new IncidentInputError(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'incident'}: ${issue.message}`).join('; '));
  const incident = parsed.data;
  for (const [field, value] of [['title', incident.title], ['description', incident.description]] as const) {
    const verdict = noAddress(field)(value);
    if (verdict !== true) throw new IncidentInputError(verdict);
  }
  if (Date.parse(incident.occurredAt) > now.getTime()) throw new IncidentInputError('occurredAt lies in the future');
  return incident;
}

function registerReceipt(entry: IncidentEntry, policy: RetentionPolicy, requestedBy: string, at: Date): Receipt {
  return {
    kind: 'incident',
    receiptId: newReceiptId(at),
    policyVersion: policyVersion(policy),
    requestedBy,
    startedAt: entry.occurredAt ?? at.toISOString(),
    finishedAt: at.toISOString(),
    counts: {},
    complete: true,
    incident: entry,
    purgeAt: epochSecondsAfter(at, INCIDENT_RETENTION_DAYS),
  };
}

/** Records an incident; answers its receipt. */
export async function recordIncident(log: Pick<ReceiptLog, 'record'>, incident: IncidentInput, options: { readonly policy: RetentionPolicy; readonly requestedBy: string; readonly now: Date }): Promise<Receipt> {
  const receipt = registerReceipt(
    {
      entry: 'incident',
      occurredAt: new Date(incident.occurredAt).toISOString(),
      title: incident.title,
      breach: incident.breach,
      classes: incident.classes,
      affected: incident.affected,
      ...(incident.description === '' ? {} : { description: incident.description }),
    },
    options.policy,
    options.requestedBy,
    options.now,
  );
  await log.record(receipt);
  return receipt;
}

/**
 * Opens the register when it has no entry yet: from then on, "no breach" can be stated for every
 * day since. The retention run calls it each time; only the first does anything.
 */
export async function openIncidentRegister(log: Pick<ReceiptLog, 'record' | 'list'>, options: { readonly policy: RetentionPolicy; readonly requestedBy: string; readonly now: Date }): Promise<Receipt | undefined> {
  if ((await log.list({ kind: 'incident', limit: 1 })).length > 0) return undefined;
  const receipt = registerReceipt({ entry: 'register_opened' }, options.policy, options.requestedBy, options.now);
  await log.record(receipt);
  return receipt;
}
