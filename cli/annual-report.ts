/**
 * The yearly statement the policy promises ("the status of data breaches is updated annually"),
 * built from facts the CLI gathers (`annual-facts.ts`): breaches of the last ten years from the
 * incident register, and the year's evidence. Japanese and English come from the same facts, and
 * every figure names its source. Pure: no clock, no I/O.
 */

export interface IncidentFact {
  readonly receiptId: string;
  readonly occurredAt: string;
  readonly title: string;
  readonly breach: boolean;
  readonly classes: readonly string[];
  readonly affected: number;
}

export interface AnnualFacts {
  readonly year: number;
  readonly generatedAt: string;
  readonly target: 'local' | 'aws';
  readonly version: string;
  readonly register: {
    /** When the register was opened (its first entry); absent when it never was. */
    readonly openedAt?: string;
    readonly incidents: readonly IncidentFact[];
    /** Every entry's signature and link checked. */
    readonly chainWhole: boolean;
    readonly entries: number;
  };
  readonly retention: { readonly runs: number; readonly complete: number };
  readonly destruction: {
    /** Requests received through the marketplace API in the year. */
    readonly requests: number;
    /** Of those, fulfilled (a destruction receipt). */
    readonly requestsFulfilled: number;
    /** Destruction receipts of the year, whoever asked. */
    readonly receipts: number;
    /** Longest time from a request (or the start of an erasure) to its receipt, in hours. */
    readonly longestHours?: number;
  };
  readonly residency: { readonly passed: boolean; readonly findings: number };
  readonly keys: readonly { readonly key: string; readonly rotation: 'enabled' | 'disabled' | 'not_rotatable' | 'not_applicable' }[];
  readonly traffic: { readonly relayed?: number; readonly refused?: number; readonly source: 'cloudwatch' | 'records' };
}

export type Lang = 'ja' | 'en';

interface Item {
  readonly text: string;
  readonly source: string;
}

interface Statement {
  readonly title: string;
  readonly lead: string;
  readonly sections: readonly { readonly heading: string; readonly items: readonly Item[] }[];
}

const TEN_YEARS = 10;

/** The data classes as the Japanese statement names them. */
const JA_CLASS: Readonly<Record<string, string>> = {
  address: 'メールアドレス',
  access: 'アクセス記録',
  transmission: '送信記録',
  content: 'メール本文',
  evidence: '証跡',
  analysis: '分析用データ',
};

const jaDate = (iso: string): string => {
  const d = new Date(Date.parse(iso) + 9 * 3_600_000);
  return `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月${d.getUTCDate()}日`;
};
const enDate = (iso: string): string => new Date(Date.parse(iso) + 9 * 3_600_000).toISOString().slice(0, 10);
const n = (value: number): string => value.toLocaleString('en-US');

/** The first instant of a year in Japan, as ISO. */
function yearStart(year: number): string {
  return new Date(Date.UTC(year, 0, 1) - 9 * 3_600_000).toISOString();
}

export function annualStatement(facts: AnnualFacts, lang: Lang): Statement {
  const ja = lang === 'ja';
  const date = ja ? jaDate : enDate;
  const firstYear = facts.year - TEN_YEARS + 1;
  const windowStart = yearStart(firstYear);
  const windowEnd = yearStart(facts.year + 1);
  const register = facts.register;
  const breaches = register.incidents.filter((incident) => incident.breach && incident.occurredAt >= windowStart && incident.occurredAt < windowEnd);
  const registerSource = ja
    ? `インシデント台帳（${n(register.entries)}件、署名と連鎖を検証${register.chainWhole ? '済み' : 'したところ不整合あり'}）`
    : `incident register (${n(register.entries)} entries, signatures and chain ${register.chainWhole ? 'verified' : 'FAILED verification'})`;
  const coversWindow = register.openedAt !== undefined && register.openedAt <= windowStart;

  const breachItems: Item[] = [];
  if (breaches.length > 0) {
    for (const breach of breaches) {
      breachItems.push({
        text: ja
          ? `${date(breach.occurredAt)}：${breach.title}（対象データ区分：${breach.classes.map((c) => JA_CLASS[c] ?? c).join('、') || 'なし'}、影響を受けた利用者：${n(breach.affected)}人）`
          : `${date(breach.occurredAt)}: ${breach.title} (data classes: ${breach.classes.join(', ') || 'none'}; users affected: ${n(breach.affected)})`,
        source: registerSource,
      });
    }
  } else if (coversWindow) {
    breachItems.push({
      text: ja
        ? `過去10年間（${firstYear}年1月1日から${facts.year}年12月31日まで）、利用者情報の漏えい等はありませんでした。`
        : `In the last ten years (1 January ${firstYear} to 31 December ${facts.year}) there was no breach of user information.`,
      source: registerSource,
    });
  } else if (register.openedAt !== undefined) {
    breachItems.push({
      text: ja
        ? `インシデント台帳を開始した${date(register.openedAt)}以降、利用者情報の漏えい等はありませんでした。それより前の期間は台帳に記録がなく、この報告では述べられません。`
        : `Since the incident register was opened on ${date(register.openedAt)} there was no breach of user information. The register holds no record of the time before, so this statement cannot speak for it.`,
      source: registerSource,
    });
  } else {
    breachItems.push({
      text: ja ? 'インシデント台帳がまだ開始されていないため、漏えい等の有無を台帳に基づいて述べることはできません。' : 'The incident register has not been opened yet, so this statement cannot speak for any period.',
      source: registerSource,
    });
  }
  if (!register.chainWhole) {
    breachItems.push({
      text: ja ? '台帳の検証に失敗しました。記録の改変または削除の可能性があり、調査中です。' : 'The register failed verification: an entry may have been changed or removed. This is being investigated.',
      source: registerSource,
    });
  }

  const { retention, destruction, residency, traffic } = facts;
  const evidence: Item[] = [
    {
      text: ja ? `保存期間を過ぎたデータの削除処理：${n(retention.runs)}回実施、うち${n(retention.complete)}回が最後まで完了。` : `Retention runs (deleting what passed its period): ${n(retention.runs)}, of which ${n(retention.complete)} ran to the end.`,
      source: ja ? `保存期間処理の証跡（retention、${n(retention.runs)}件）` : `retention receipts (${n(retention.runs)})`,
    },
    {
      text: ja
        ? `削除依頼：API経由で${n(destruction.requests)}件受付、うち${n(destruction.requestsFulfilled)}件完了。削除の実施は全${n(destruction.receipts)}件${destruction.longestHours === undefined ? '' : `、最長所要時間は${n(Math.ceil(destruction.longestHours))}時間`}。`
        : `Deletion requests: ${n(destruction.requests)} received through the API, ${n(destruction.requestsFulfilled)} fulfilled. Erasures carried out: ${n(destruction.receipts)}${destruction.longestHours === undefined ? '' : `; the longest took ${n(Math.ceil(destruction.longestHours))} hour(s) from request to receipt`}.`,
      source: ja ? `削除依頼の記録（${n(destruction.requests)}件）と削除の証跡（destruction、${n(destruction.receipts)}件）` : `deletion requests (${n(destruction.requests)}) and destruction receipts (${n(destruction.receipts)})`,
    },
    {
      text: ja
        ? `国内保存（ap-northeast-1）の検査：${residency.passed ? '合格' : `不合格（${n(residency.findings)}件の指摘）`}。スタックはこの検査に合格しない限り合成・デプロイできません。`
        : `Residency checks (ap-northeast-1 only): ${residency.passed ? 'passed' : `FAILED (${n(residency.findings)} finding(s))`}. The stack cannot be synthesised or deployed unless they pass.`,
      source: ja ? `AnshinResidency検査パック（バージョン${facts.version}を合成して実施）` : `AnshinResidency pack, run by synthesising version ${facts.version}`,
    },
    ...facts.keys.map((key) => ({
      text: ja
        ? `暗号鍵「${{ address: 'アドレス鍵', HMAC: 'HMAC鍵', 'receipt signing': '証跡署名鍵' }[key.key] ?? key.key}」の自動ローテーション：${{ enabled: '有効', disabled: '無効', not_rotatable: 'KMSの仕様上対象外（文書化済み）', not_applicable: 'ローカル環境のため対象外' }[key.rotation]}。`
        : `Automatic rotation of the ${key.key} key: ${{ enabled: 'enabled', disabled: 'DISABLED', not_rotatable: 'not offered by KMS for this key type (documented)', not_applicable: 'not applicable on the local stack' }[key.rotation]}.`,
      source: ja ? 'KMS GetKeyRotationStatus' : 'KMS GetKeyRotationStatus',
    })),
    {
      text:
        traffic.relayed === undefined
          ? ja
            ? '中継件数：取得できませんでした。'
            : 'Messages relayed and refused: not available.'
          : ja
            ? `中継したメール：${n(traffic.relayed)}通、拒否したメール：${n(traffic.refused ?? 0)}通。`
            : `Messages relayed: ${n(traffic.relayed)}; refused: ${n(traffic.refused ?? 0)}.`,
      source:
        traffic.source === 'cloudwatch'
          ? ja
            ? 'CloudWatchメトリクス Anshin/MessagesRelayed・MessagesRefused（日次合計）'
            : 'CloudWatch metrics Anshin/MessagesRelayed and MessagesRefused (daily sums)'
          : ja
            ? '保存期間内の送信記録（それより古い記録は削除済み）'
            : 'transmission records still held (older ones are deleted by retention)',
    },
  ];

  return {
    title: ja ? `${facts.year}年 利用者情報の漏えい等の状況について` : `Status of data breaches, ${facts.year}`,
    lead: ja
      ? `当社のプライバシーポリシーに基づき、利用者情報の漏えい等の状況を毎年更新しています。本報告は${date(facts.generatedAt)}に作成しました（anshin-relay ${facts.version}、${facts.target === 'aws' ? '本番環境' : 'ローカル環境'}）。`
      : `As our privacy policy promises, the status of data breaches is updated every year. This statement was produced on ${date(facts.generatedAt)} (anshin-relay ${facts.version}, ${facts.target === 'aws' ? 'production' : 'local stack'}).`,
    sections: [
      { heading: ja ? '過去10年間の漏えい等の状況' : 'Breaches of user information in the last ten years', items: breachItems },
      { heading: ja ? `${facts.year}年の取り組みの証跡` : `Evidence of ${facts.year}`, items: evidence },
    ],
  };
}

const escapeHtml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderAnnualReport(facts: AnnualFacts, lang: Lang, format: 'md' | 'html' | 'json'): string {
  const statement = annualStatement(facts, lang);
  const sourceLabel = lang === 'ja' ? '出典' : 'source';
  if (format === 'json') return `${JSON.stringify({ lang, statement, facts }, null, 2)}\n`;
  if (format === 'md') {
    const lines = [`# ${statement.title}`, '', statement.lead];
    for (const section of statement.sections) {
      lines.push('', `## ${section.heading}`, '');
      for (const item of section.items) lines.push(lang === 'ja' ? `- ${item.text}（出典：${item.source}）` : `- ${item.text} (source: ${item.source})`);
    }
    return `${lines.join('\n')}\n`;
  }
  const body = statement.sections
    .map((section) => `<h2>${escapeHtml(section.heading)}</h2>\n<ul>\n${section.items.map((item) => `<li>${escapeHtml(item.text)} <small>${escapeHtml(sourceLabel)}: ${escapeHtml(item.source)}</small></li>`).join('\n')}\n</ul>`)
    .join('\n');
  return `<!doctype html>\n<html lang="${lang}">\n<head><meta charset="utf-8"><title>${escapeHtml(statement.title)}</title></head>\n<body>\n<h1>${escapeHtml(statement.title)}</h1>\n<p>${escapeHtml(statement.lead)}</p>\n${body}\n</body>\n</html>\n`;
}
