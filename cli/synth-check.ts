import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANSHIN_VERSION } from '../lib/version';

/**
 * The stack synthesised from this checkout with the deployment's configuration (cdk.json), as
 * `cdk synth` does, with every cdk-nag pack (AnshinResidency included): whether it passes, the
 * template's hash, and the packs' reports. Functions are not bundled: the template is the same.
 */
export interface SynthCheck {
  readonly version: string;
  readonly passed: boolean;
  /** Findings that stopped the synthesis, one per line. */
  readonly findings: readonly string[];
  readonly templateSha256?: string;
  readonly template?: string;
  /** The validation report the packs write (empty of findings when all pass). */
  readonly reports: readonly { readonly name: string; readonly content: string }[];
  /** Every finding acknowledged in the code, where, and why: what an auditor reads beside a pass. */
  readonly acknowledged: readonly { readonly path: string; readonly rule: string; readonly reason: string }[];
}

/** The packs every synthesis runs (lib/relay-app.ts and the stack's own). */
export const NAG_PACKS = ['AwsSolutions', 'Serverless', 'AnshinResidency'] as const;

const ACKNOWLEDGED = 'aws:cdk:acknowledged-rules';

async function acknowledgedRules(outdir: string, stackName: string): Promise<SynthCheck['acknowledged']> {
  const metadata = JSON.parse(await readFile(join(outdir, `${stackName}.metadata.json`), 'utf8').catch(() => '{}')) as Record<string, { type: string; data: Record<string, string> }[]>;
  return Object.entries(metadata).flatMap(([path, entries]) =>
    entries.filter((entry) => entry.type === ACKNOWLEDGED).flatMap((entry) => Object.entries(entry.data).map(([rule, reason]) => ({ path, rule: rule.replace(/^Annotation::/, ''), reason }))),
  );
}

export async function synthesizeStack(cdkJsonPath = 'cdk.json'): Promise<SynthCheck> {
  // Deprecation notes of the CDK's own constructs are for its users' code, not for this output.
  process.env.JSII_DEPRECATED ??= 'quiet';
  // Loaded here, not at the top: the CDK is heavy and only these commands need it.
  const { App } = await import('aws-cdk-lib');
  // By URL: the infrastructure is type-checked with its own settings (tsconfig.cdk.json), not the CLI's.
  const { addRelayStack } = (await import(new URL('../lib/relay-app.ts', import.meta.url).href)) as { addRelayStack: (app: InstanceType<typeof App>) => { readonly stackName: string } };
  const cdkJson = JSON.parse(await readFile(cdkJsonPath, 'utf8')) as { context?: Record<string, unknown> };
  const outdir = await mkdtemp(join(tmpdir(), 'anshin-synth-'));
  try {
    const app = new App({ outdir, context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
    let template: string | undefined;
    let findings: string[] = [];
    let stackName = 'AnshinRelay';
    try {
      const stack = addRelayStack(app);
      stackName = stack.stackName;
      template = JSON.stringify(app.synth().getStackByName(stack.stackName).template, null, 1);
    } catch (error) {
      findings = (error instanceof Error ? error.message : String(error)).split('\n').filter((line) => /^\s*ERROR\b/.test(line) || /\berror\b/i.test(line)).map((line) => line.trim());
      if (findings.length === 0) findings = [error instanceof Error ? error.message : String(error)];
    }
    const reports = [];
    for (const name of (await readdir(outdir)).sort()) {
      if (name.endsWith('validation-report.json')) reports.push({ name, content: await readFile(join(outdir, name), 'utf8') });
    }
    return {
      version: ANSHIN_VERSION,
      passed: template !== undefined,
      findings,
      ...(template === undefined ? {} : { template, templateSha256: createHash('sha256').update(template).digest('hex') }),
      reports,
      acknowledged: await acknowledgedRules(outdir, stackName),
    };
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}
