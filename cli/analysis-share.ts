import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Pseudonymiser } from '../lambdas/analysis/pseudonyms';
import { SPOOFING_REASONS } from '../lambdas/fraud/signals';
import { openAnalysisWorkspace, queryRows } from './analysis-workspace';
import type { Target } from './target';

/**
 * The bundle a third party may receive: aggregates of the daily exports of a range of days, and
 * nothing row by row. Every group smaller than {@link MINIMUM_GROUP} is folded into one
 * `suppressed` line per day, so no figure describes one or two messages; store pseudonyms are
 * pseudonymised again under a key made for the bundle, so the bundle joins neither with our own
 * exports nor with another bundle. Networks and aliases are left out: a /24 or an alias with a
 * handful of messages can point at a person.
 */

const MINIMUM_GROUP = 5;

export interface ShareBundle {
  readonly from: string;
  readonly to: string;
  readonly directory: string;
  readonly files: Readonly<Record<string, number>>;
}

const csvField = (value: unknown): string => {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

function csv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  return [columns.join(','), ...rows.map((row) => columns.map((column) => csvField(row[column])).join(','))].join('\n') + '\n';
}

const spoofing = SPOOFING_REASONS.map((reason) => `'${reason}'`).join(', ');

/** A grouped count, with groups under the minimum folded into one `suppressed` line per day. */
const suppressedGroups = (dimensions: readonly string[], from: string, to: string): string => `
  WITH groups AS (
    SELECT strftime(day, '%Y-%m-%d') AS day, ${dimensions.join(', ')}, count(*)::INTEGER AS messages
    FROM records WHERE day BETWEEN DATE '${from}' AND DATE '${to}'
    GROUP BY ALL
  )
  SELECT day, ${dimensions.join(', ')}, messages FROM groups WHERE messages >= ${MINIMUM_GROUP}
  UNION ALL
  SELECT day, ${dimensions.map((dimension) => (dimension === dimensions[0] ? `'suppressed' AS ${dimension}` : `NULL AS ${dimension}`)).join(', ')}, sum(messages)::INTEGER
  FROM groups WHERE messages < ${MINIMUM_GROUP} GROUP BY day
  ORDER BY ALL`;

export async function writeShareBundle(target: Target, from: string, to: string, directory: string, now: Date): Promise<ShareBundle> {
  const workspace = await openAnalysisWorkspace(target, { from, to });
  try {
    const totals = await queryRows(workspace.connection, suppressedGroups(['kind', 'direction', 'outcome', 'reason'], from, to));
    const authentication = await queryRows(workspace.connection, suppressedGroups(['spf', 'dkim', 'dmarc'], from, to));
    const stores = await queryRows(
      workspace.connection,
      `SELECT strftime(day, '%Y-%m-%d') AS day, store,
         count(*) FILTER (WHERE outcome = 'relayed')::INTEGER AS relayed,
         count(*) FILTER (WHERE outcome = 'refused')::INTEGER AS refused,
         count(*) FILTER (WHERE reason IN (${spoofing}))::INTEGER AS spoofing_attempts,
         count(*) FILTER (WHERE kind = 'bounce')::INTEGER AS bounces,
         count(*) FILTER (WHERE kind = 'complaint')::INTEGER AS complaints,
         max(store_flags) AS flags
       FROM records WHERE store IS NOT NULL AND day BETWEEN DATE '${from}' AND DATE '${to}'
       GROUP BY ALL HAVING count(*) >= ${MINIMUM_GROUP} ORDER BY day, relayed DESC`,
    );
    const bundleKey = Pseudonymiser.perExport();
    const storeRows = stores.rows.map((row) => ({ ...row, store: bundleKey.of('store', String(row.store)) }));

    await mkdir(directory, { recursive: true });
    const files: Record<string, number> = {
      'totals.csv': totals.rows.length,
      'authentication.csv': authentication.rows.length,
      'stores.csv': storeRows.length,
    };
    await writeFile(join(directory, 'totals.csv'), csv(totals.columns, totals.rows));
    await writeFile(join(directory, 'authentication.csv'), csv(authentication.columns, authentication.rows));
    await writeFile(join(directory, 'stores.csv'), csv(stores.columns, storeRows));
    const manifest = {
      from,
      to,
      createdAt: now.toISOString(),
      minimumGroup: MINIMUM_GROUP,
      files,
      contents: {
        'totals.csv': 'messages per day, kind, direction, outcome and refusal reason',
        'authentication.csv': "messages per day and SES's SPF, DKIM and DMARC verdicts",
        'stores.csv': 'per day and store pseudonym (made for this bundle): relayed, refused, spoofing attempts, bounces, complaints, abuse-signal flags',
      },
      excluded: 'addresses, alias names, store IDs, subjects, bodies, networks, alias pseudonyms, and every group of fewer than minimumGroup messages',
    };
    await writeFile(join(directory, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    return { from, to, directory, files };
  } finally {
    workspace.close();
  }
}
