import { Validations } from 'aws-cdk-lib';
import type { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { AnshinRelayStack } from './anshin-relay-stack';
import { ConfigError, resolveConfig } from './config';

/** Name of the deployed stack; the operator CLI looks it up by this name. */
export const STACK_NAME = 'AnshinRelay';

/** Context key holding the deployment configuration (see `lib/config.ts`). */
export const CONFIG_CONTEXT_KEY = 'anshin';

export interface RelayAppOptions {
  /**
   * Handler modules, for tests that bundle stand-ins.
   * @default lambdas/relay/handler.ts
   */
  readonly relayEntry?: string;
  /** @default lambdas/retention/handler.ts */
  readonly retentionEntry?: string;
  /** @default lambdas/destruction/handler.ts */
  readonly destructionEntry?: string;
}

/**
 * Adds the relay stack to an app, configured from the `anshin` context key, and registers the
 * cdk-nag AwsSolutions and Serverless packs (the stack brings the `AnshinResidency` pack itself), so every synthesis (`cdk synth`, `cdk deploy`, the infra
 * tests) fails on an unacknowledged finding. The region always comes from the configuration, never
 * from the CLI's profile, so a profile pointing elsewhere cannot move the data.
 */
export function addRelayStack(app: App, options: RelayAppOptions = {}): AnshinRelayStack {
  const config = resolveConfig(configContext(app));
  const stack = new AnshinRelayStack(app, STACK_NAME, {
    config,
    env: { account: config.account ?? process.env.CDK_DEFAULT_ACCOUNT, region: config.region },
    description: 'anshin-relay: masked e-mail relay (ap-northeast-1 only)',
    ...(options.relayEntry === undefined ? {} : { relayEntry: options.relayEntry }),
    ...(options.retentionEntry === undefined ? {} : { retentionEntry: options.retentionEntry }),
    ...(options.destructionEntry === undefined ? {} : { destructionEntry: options.destructionEntry }),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return stack;
}

/** The `anshin` context: an object from cdk.json, or a JSON string from `cdk synth -c anshin='{…}'`. */
function configContext(app: App): unknown {
  const value: unknown = app.node.tryGetContext(CONFIG_CONTEXT_KEY);
  if (typeof value !== 'string') return value ?? {};
  try {
    return JSON.parse(value) as unknown;
  } catch (error) {
    throw new ConfigError(`-c ${CONFIG_CONTEXT_KEY}=… must be a JSON object, got ${JSON.stringify(value)}`, { cause: error });
  }
}
