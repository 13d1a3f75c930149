import { Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { NagPack } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { relayApp } from './support';

const PACKS: readonly (() => NagPack)[] = [() => new AwsSolutionsChecks(), () => new ServerlessChecks()];

/** Unacknowledged findings of both packs, as `rule at path` lines for a readable failure. */
function findings(scope: IConstruct): string[] {
  return PACKS.flatMap((pack) =>
    pack()
      .validateScope(scope)
      .violations.flatMap((violation) => violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`)),
  );
}

/** Every acknowledgement in the tree: where it was made, the rule and the reason. */
function acknowledgements(root: IConstruct): { path: string; node: IConstruct; id: string; reason: string }[] {
  return root.node.findAll().flatMap((node) =>
    node.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({ path: node.node.path, node, id, reason }))),
  );
}

describe('cdk-nag', () => {
  it.each([true, false])('reports no unacknowledged AwsSolutions or Serverless finding (rule set activation %s)', (activateReceiptRuleSet) => {
    const { app } = relayApp({ anshin: { activateReceiptRuleSet } });
    app.synth();

    expect(findings(app)).toEqual([]);
  });

  it('still finds what it should: an unencrypted queue without TLS or dead-letter queue is reported', () => {
    const { app, stack } = relayApp();
    new Queue(stack, 'Careless');

    const reported = findings(app);

    expect(reported).toEqual(expect.arrayContaining([expect.stringMatching(/^AwsSolutions-SQS4 at .*\/Careless\//)]));
    expect(reported.every((line) => line.includes('/Careless/'))).toBe(true);
  });

  it('acknowledges per resource, each with a concrete reason, never for the whole app or stack', () => {
    const { app, stack } = relayApp();
    app.synth();

    const acks = acknowledgements(app);

    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.node, `${ack.id} acknowledged at ${ack.path}`).not.toBe(app);
      expect(ack.node, `${ack.id} acknowledged at ${ack.path}`).not.toBe(stack);
      expect(ack.reason.length, `${ack.id} at ${ack.path} needs a reason`).toBeGreaterThan(40);
    }
  });

  it('is part of the app itself, so `cdk synth` fails on a new finding', () => {
    const { app, stack } = relayApp();
    new Queue(stack, 'Careless');

    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });
});
