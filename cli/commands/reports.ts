import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, Option } from 'commander';
import { DynamoReceiptLog } from '../../lambdas/records/aws/dynamo-receipt-log';
import { policyVersion } from '../../lambdas/records/retention-policy';
import { RECEIPT_KINDS } from '../../lambdas/records/receipts';
import { annualFacts } from '../annual-facts';
import { renderAnnualReport } from '../annual-report';
import type { Lang } from '../annual-report';
import { verifyReceipts } from '../receipt-verification';
import { NAG_PACKS, synthesizeStack } from '../synth-check';
import { projectRoot } from '../project-root';
import type { CommandContext } from './context';

function year(value: string): number {
  const n = Number(value);
  if (!/^\d{4}$/.test(value) || n < 2000) throw new InvalidArgumentError('must be a year, e.g. 2026');
  return n;
}

/** `anshin report annual` and `anshin evidence export`: what the policy promises, with what proves it. */
export function reportCommands(context: CommandContext): void {
  context.program
    .command('report')
    .description('statements the policy promises')
    .command('annual')
    .description("the yearly statement on data breaches (the last ten years, from the incident register) and the year's evidence, every figure with its source")
    .requiredOption('--year <YYYY>', 'the year (Japan time)', year)
    .addOption(new Option('--lang <lang>', 'language').choices(['ja', 'en']).default('ja'))
    .addOption(new Option('--format <format>', 'output format').choices(['md', 'html', 'json']).default('md'))
    .option('--out <file>', 'write to this file instead of printing')
    .action(async (opts: { year: number; lang: Lang; format: 'md' | 'html' | 'json'; out?: string }) => {
      const { target } = await context.target();
      const facts = await annualFacts(target, opts.year, context.now(), await synthesizeStack(join(projectRoot(), 'cdk.json')));
      const text = renderAnnualReport(facts, opts.lang, opts.format);
      if (opts.out === undefined) context.output.out(text.trimEnd());
      else {
        await writeFile(resolve(opts.out), text);
        context.output.out(`wrote ${resolve(opts.out)}`);
      }
    });

  context.program
    .command('evidence')
    .description('what an auditor asks for')
    .command('export')
    .description('write the template hash and cdk-nag reports, the retention policy and its version, the receipts with their verification, the incident register and the annual reports (ja, en) to a directory')
    .requiredOption('--out <dir>', 'directory to write to')
    .option('--year <YYYY>', 'year of the annual report (default: the current year)', year)
    .action(async (opts: { out: string; year?: number }) => {
      const { target, options } = await context.target();
      const now = context.now();
      const dir = resolve(opts.out);
      await mkdir(join(dir, 'nag-reports'), { recursive: true });
      const synth = await synthesizeStack(join(projectRoot(), 'cdk.json'));
      const log = new DynamoReceiptLog(target.dynamodb, target.tables.receipts);
      const receipts = Object.fromEntries(await Promise.all(RECEIPT_KINDS.map(async (kind) => [kind, await log.chain(kind)] as const)));
      const verification = await verifyReceipts(target, RECEIPT_KINDS, now);
      const reportYear = opts.year ?? new Date(now.getTime() + 9 * 3_600_000).getUTCFullYear();
      const facts = await annualFacts(target, reportYear, now, synth);
      const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
      const files: Record<string, string> = {
        'template.json': synth.template ?? '',
        'synthesis.json': json({ version: synth.version, passed: synth.passed, findings: synth.findings, templateSha256: synth.templateSha256 }),
        'retention-policy.json': json({ version: policyVersion(target.config.retention), policy: target.config.retention }),
        'receipts.json': json(receipts),
        'receipts-verification.json': json(verification),
        'incident-register.json': json(receipts.incident ?? []),
        [`annual-report-${reportYear}.ja.md`]: renderAnnualReport(facts, 'ja', 'md'),
        [`annual-report-${reportYear}.en.md`]: renderAnnualReport(facts, 'en', 'md'),
        [`annual-report-${reportYear}.json`]: renderAnnualReport(facts, 'en', 'json'),
      };
      for (const report of synth.reports) files[join('nag-reports', report.name)] = report.content;
      files[join('nag-reports', 'acknowledged.json')] = json({ packs: NAG_PACKS, passed: synth.passed, acknowledged: synth.acknowledged });
      for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
      const manifest = { createdAt: now.toISOString(), target: target.name, version: synth.version, templateSha256: synth.templateSha256, files: Object.keys(files).sort() };
      await writeFile(join(dir, 'manifest.json'), json(manifest));
      context.print(options, { directory: dir, ...manifest }, `wrote ${Object.keys(files).length + 1} files to ${dir}: synthesis ${synth.passed ? 'passed' : 'FAILED'}, template sha256 ${synth.templateSha256 ?? '-'}, receipt chains ${verification.every((r) => !r.broken) ? 'whole' : 'BROKEN'}`);
    });
}
