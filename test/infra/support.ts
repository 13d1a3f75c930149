/**
 * A fresh relay app per test, configured the way `cdk synth` configures it: the feature flags and
 * `anshin` defaults of cdk.json, with the test's configuration merged over the latter. Bundling is
 * skipped unless a test asks for it, so most tests need no esbuild run.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll } from 'vitest';
import type { RetentionPolicy } from '../../lambdas/records/retention-policy';
import type { AnshinRelayStack } from '../../lib/anshin-relay-stack';
import { resolveConfig } from '../../lib/config';
import { CONFIG_CONTEXT_KEY, addRelayStack } from '../../lib/relay-app';

interface CdkJson {
  readonly context: Record<string, unknown> & { readonly anshin: Record<string, unknown> & { readonly retention: Record<string, unknown> } };
}

const CDK_JSON = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as CdkJson;

/** Cloud assemblies of the importing test file, removed after its last test. */
const ASSEMBLIES = mkdtempSync(join(tmpdir(), 'anshin-infra-'));
let assemblyCount = 0;
afterAll(() => rmSync(ASSEMBLIES, { recursive: true, force: true }));

/** A fresh cloud assembly directory, removed after the test file. */
export function assemblyDir(): string {
  return join(ASSEMBLIES, String(++assemblyCount));
}

/** The `anshin` configuration of cdk.json: what `cdk synth` deploys when nothing is overridden. */
export const CDK_JSON_CONFIG = CDK_JSON.context.anshin;

/** The retention policy cdk.json deploys, resolved as `cdk synth` resolves it. */
export const CDK_JSON_POLICY: RetentionPolicy = resolveConfig(CDK_JSON_CONFIG).retention;

/** A retention policy given in part, as a test overrides it. */
export interface PartialRetention {
  readonly classes?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly [field: string]: unknown;
}

export interface RelayAppOptions {
  /** Merged over cdk.json's `anshin` context (`retention` field by field, its classes class by class). */
  readonly anshin?: Record<string, unknown> & { readonly retention?: PartialRetention };
  /** Run esbuild for the relay function. @default false */
  readonly bundle?: boolean;
  /** Output directory of the cloud assembly. @default {@link assemblyDir} */
  readonly outdir?: string;
}

/** `given` over `base`, field by field and, within `classes`, class by class and field by field. */
function mergeRetention(base: PartialRetention, given: PartialRetention = {}): PartialRetention {
  const classNames = new Set([...Object.keys(base.classes ?? {}), ...Object.keys(given.classes ?? {})]);
  const classes = Object.fromEntries([...classNames].map((name) => [name, { ...base.classes?.[name], ...given.classes?.[name] }]));
  return { ...base, ...given, classes };
}

/** A new app holding the relay stack, as `bin/anshin-relay.ts` builds it (not yet synthesised). */
export function relayApp(options: RelayAppOptions = {}): { app: App; stack: AnshinRelayStack } {
  const anshin = {
    ...CDK_JSON_CONFIG,
    ...options.anshin,
    retention: mergeRetention(CDK_JSON_CONFIG.retention as PartialRetention, options.anshin?.retention),
  };
  const app = new App({
    outdir: options.outdir ?? assemblyDir(),
    context: {
      ...CDK_JSON.context,
      [CONFIG_CONTEXT_KEY]: anshin,
      'aws:cdk:bundling-stacks': options.bundle === true ? ['**'] : [],
    },
  });
  return { app, stack: addRelayStack(app) };
}

/** Synthesises a fresh relay stack (running the cdk-nag packs, AnshinResidency included) and returns its template. */
export function relayTemplate(options: RelayAppOptions = {}): { app: App; stack: AnshinRelayStack; template: Template } {
  const { app, stack } = relayApp(options);
  return { app, stack, template: Template.fromStack(stack) };
}

/** Logical ID of a construct's CloudFormation resource (its default child). */
export function logicalId(stack: AnshinRelayStack, construct: { node: { defaultChild?: unknown } }): string {
  const child = construct.node.defaultChild;
  if (!(child instanceof CfnElement)) throw new Error('construct has no CloudFormation resource');
  return stack.resolve(child.logicalId) as string;
}

export interface PolicyStatementJson {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

/** Every statement of the IAM policies attached to a role. */
export function statementsOfRole(template: Template, roleLogicalId: string): PolicyStatementJson[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`"${roleLogicalId}"`))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as PolicyStatementJson[]);
}

export function actionsOf(statements: readonly PolicyStatementJson[]): string[] {
  return statements.flatMap((statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]));
}

/** The one resource of a type, failing when there is not exactly one. */
export function onlyResource(template: Template, type: string): { logicalId: string; properties: Record<string, unknown> } {
  const entries = Object.entries(template.findResources(type));
  if (entries.length !== 1) throw new Error(`expected exactly one ${type}, found ${entries.length}`);
  const [id, resource] = entries[0] as [string, { Properties: Record<string, unknown> }];
  return { logicalId: id, properties: resource.Properties };
}
