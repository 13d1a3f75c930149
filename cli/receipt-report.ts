import { DATA_CLASSES } from '../lambdas/records/retention-policy';
import type { Receipt } from '../lambdas/records/receipts';

/** What the CLI prints about a receipt: counts, times, versions and the subject's receipt hash; never an address. */

const KIND_LABEL: Record<Receipt['kind'], string> = { retention: 'retention run', destruction: 'destruction', termination: 'termination', incident: 'incident register' };

function counts(receipt: Receipt): string {
  const parts = DATA_CLASSES.filter((c) => receipt.counts[c] !== undefined).map((c) => `${c} ${receipt.counts[c]}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

/** Total of the per-class counts: 0 means the run found nothing to do. */
export function totalCount(receipt: Receipt): number {
  return DATA_CLASSES.reduce((sum, c) => sum + (receipt.counts[c] ?? 0), 0);
}

/** A receipt as a short block of aligned lines. */
export function receiptLines(receipt: Receipt): string[] {
  if (receipt.incident) return incidentLines(receipt);
  const verb = receipt.kind === 'termination' ? 're-dated' : 'removed';
  const lines = [
    `${KIND_LABEL[receipt.kind]} receipt ${receipt.receiptId}`,
    `  policy        ${receipt.policyVersion}`,
    `  requested by  ${receipt.requestedBy}`,
    `  ran           ${receipt.startedAt} .. ${receipt.finishedAt}${receipt.complete ? '' : ' (stopped early; the next run goes on)'}`,
  ];
  if (receipt.subject) lines.push(`  subject       ${receipt.subject.kind} ${receipt.subject.hash} (receipt hash)`);
  lines.push(`  ${verb.padEnd(13)} ${counts(receipt)}`);
  if (receipt.aliasesRetired !== undefined) lines.push(`  retired       ${receipt.aliasesRetired} alias name(s), kept as hashes only`);
  if (receipt.verified !== undefined) lines.push(`  verified      ${receipt.verified ? 'nothing about the subject is left' : 'NOT verified'}`);
  if (receipt.keptStoreContacts) lines.push(`  kept          ${receipt.keptStoreContacts} store contact address(es) equal to the subject's: erase the store itself to remove them`);
  if (receipt.eraseAt) lines.push(`  erased at     ${receipt.eraseAt} (end of the support period)`);
  if (receipt.backupsExpireBy) lines.push(`  backups       hold copies until ${receipt.backupsExpireBy} (point-in-time recovery)`);
  return lines;
}

function incidentLines(receipt: Receipt): string[] {
  const incident = receipt.incident;
  if (!incident || incident.entry === 'register_opened') return [`incident register opened ${receipt.finishedAt} (${receipt.receiptId}), requested by ${receipt.requestedBy}`];
  return [
    `incident ${receipt.receiptId}: ${incident.title ?? ''}`,
    `  occurred      ${incident.occurredAt ?? 'unknown'}`,
    `  recorded      ${receipt.finishedAt} by ${receipt.requestedBy}`,
    `  data breach   ${incident.breach ? 'yes' : 'no'}`,
    `  classes       ${(incident.classes ?? []).join(', ') || 'none'}`,
    `  affected      ${incident.affected ?? 'unknown'}`,
    ...(incident.description ? [`  description   ${incident.description.replace(/\n/g, '\n                ')}`] : []),
  ];
}

/** One line per receipt, for listings. */
export function receiptSummaryLine(receipt: Receipt): string {
  return [
    receipt.finishedAt,
    receipt.kind.padEnd(11),
    receipt.policyVersion,
    receipt.subject ? `${receipt.subject.kind}:${receipt.subject.hash.slice(0, 12)}` : '-',
    counts(receipt),
    receipt.complete ? '' : '(partial)',
  ]
    .join('  ')
    .trimEnd();
}
