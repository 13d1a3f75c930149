import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Receipt } from '../../lambdas/records/receipts';
import { buildProgram } from '../../cli/program';
import { captureProcessOutput } from '../support/capture-output';
import { RelayHarness } from './support/relay-harness';

/**
 * The incident register and what is built on it, on the local stack: the first retention run opens
 * the register, an incident recorded with `anshin incident record` is signed and chained, appears
 * in the next annual statement, and the evidence bundle carries all of it.
 */

const logLines: string[] = [];
let relay: RelayHarness;
let dir: string;
const year = new Date(Date.now() + 9 * 3_600_000).getUTCFullYear();

beforeAll(async () => {
  captureProcessOutput(logLines);
  relay = await RelayHarness.start();
  dir = await mkdtemp(join(tmpdir(), 'anshin-incidents-'));
}, 120_000);

afterAll(async () => {
  vi.restoreAllMocks();
  await relay?.stop();
});

/** What a person would see: the command's text output. */
async function text(args: readonly string[]): Promise<string> {
  const out: string[] = [];
  await buildProgram({ out: (s) => out.push(s), err: (s) => out.push(s) }).parseAsync(['--local-dir', relay.dir, ...args], { from: 'user' });
  return out.join('\n');
}

// One stack, one story: each test goes on from where the one before left the stack, so the steps keep
// their order when the suite is shuffled; the file as a whole runs alone or in any place among the others.
describe('in order, on one stack', { shuffle: false }, () => {
  describe('the incident register', () => {
    it('is not open before the first retention run, which opens it', async () => {
      expect(await text(['incident', 'list'])).toBe('the register is not open yet: the first retention run opens it');
      await relay.cli(['retention', 'run']);
      const entries = await relay.cli<Receipt[]>(['incident', 'list']);
      expect(entries).toEqual([expect.objectContaining({ kind: 'incident', incident: { entry: 'register_opened' } })]);
    });

    it('records an incident, signed and chained, and refuses one naming a person by address', async () => {
      const description = join(dir, 'description.txt');
      await writeFile(description, '送信記録の閲覧権限の設定誤り。\n影響範囲を確認し、権限を修正した。\n');
      const receipt = await relay.cli<Receipt>(['incident', 'record', '--occurred', `${year}-01-15T10:00:00+09:00`, '--title', '送信記録の閲覧権限の設定誤り', '--classes', 'transmission,access', '--affected', '3', '--breach', '--description-file', description, '--recorded-by', 'security team']);
      expect(receipt).toMatchObject({ kind: 'incident', requestedBy: 'security team', incident: { entry: 'incident', breach: true, classes: ['transmission', 'access'], affected: 3, title: '送信記録の閲覧権限の設定誤り' } });
      expect(await text(['receipts', 'verify', '--kind', 'incident'])).toMatch(/^incident: ok \(2 signed\)$/);

      await writeFile(description, 'taro@example.com から連絡があった。');
      await expect(relay.cli(['incident', 'record', '--occurred', `${year}-01-16T10:00:00+09:00`, '--title', 'x', '--description-file', description])).rejects.toThrow(/may not contain an e-mail address/);
      await expect(relay.cli(['incident', 'record', '--occurred', '2999-01-01T00:00:00Z', '--title', 'x'])).rejects.toThrow(/future/);
    });
  });

  describe('anshin report annual', () => {
    it('prints a Japanese statement that names the breach, since when the register is kept, and the sources', async () => {
      const statement = await text(['report', 'annual', '--year', String(year), '--lang', 'ja']);
      expect(statement).toContain(`# ${year}年 利用者情報の漏えい等の状況について`);
      expect(statement).toContain('送信記録の閲覧権限の設定誤り（対象データ区分：送信記録、アクセス記録、影響を受けた利用者：3人）');
      expect(statement).toContain('（出典：インシデント台帳（2件、署名と連鎖を検証済み））');
      expect(statement).toMatch(/保存期間を過ぎたデータの削除処理：1回実施、うち1回が最後まで完了。/);
      expect(statement).toContain('国内保存（ap-northeast-1）の検査：合格');
    }, 60_000);

    it('writes English HTML to a file', async () => {
      const out = join(dir, 'annual.html');
      await text(['report', 'annual', '--year', String(year), '--lang', 'en', '--format', 'html', '--out', out]);
      const html = await readFile(out, 'utf8');
      expect(html).toContain(`<h1>Status of data breaches, ${year}</h1>`);
      expect(html).toContain('送信記録の閲覧権限の設定誤り (data classes: transmission, access; users affected: 3)');
    }, 60_000);
  });

  describe('anshin evidence export', () => {
    it('writes the template hash, the nag reports, the policy, the verified receipts, the register and the statements', async () => {
      const out = join(dir, 'evidence');
      const result = await relay.cli<{ templateSha256: string; files: string[] }>(['evidence', 'export', '--out', out]);
      expect(result.templateSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(result.files).toEqual(expect.arrayContaining(['template.json', 'synthesis.json', 'retention-policy.json', 'receipts.json', 'receipts-verification.json', 'incident-register.json', `annual-report-${year}.ja.md`, `annual-report-${year}.en.md`]));
      expect(await readdir(join(out, 'nag-reports'))).toEqual(['acknowledged.json', 'validation-report.json']);
      const nag = JSON.parse(await readFile(join(out, 'nag-reports', 'acknowledged.json'), 'utf8')) as { packs: string[]; passed: boolean; acknowledged: { path: string; rule: string; reason: string }[] };
      expect(nag).toMatchObject({ packs: ['AwsSolutions', 'Serverless', 'AnshinResidency'], passed: true });
      expect(nag.acknowledged).toContainEqual({ path: '/AnshinRelay/HomeRegionBoundary', rule: 'AwsSolutions-IAM5[Action::*]', reason: expect.stringContaining('permissions boundary') });
      const verification = JSON.parse(await readFile(join(out, 'receipts-verification.json'), 'utf8')) as { kind: string; broken?: unknown }[];
      expect(verification.map((report) => [report.kind, report.broken])).toEqual([
        ['retention', undefined],
        ['destruction', undefined],
        ['termination', undefined],
        ['incident', undefined],
      ]);
      expect(JSON.parse(await readFile(join(out, 'synthesis.json'), 'utf8'))).toMatchObject({ passed: true, findings: [] });
    }, 90_000);
  });
});
