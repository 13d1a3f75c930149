import { describe, expect, it } from 'vitest';
import type { AnshinRelayStack } from '../../lib/anshin-relay-stack';
import { logicalId, relayTemplate } from './support';

/** Who may use which key: the key policies as synthesised, where KMS decides. */

interface KeyStatement {
  Sid?: string;
  Effect: string;
  Principal: { AWS?: unknown; Service?: unknown };
  Action: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

const USE = /^kms:(Decrypt|Encrypt|GenerateDataKey|ReEncrypt|GenerateMac|VerifyMac|Sign|CreateGrant|\*)/;

function keyPolicy(stack: AnshinRelayStack, template: ReturnType<typeof relayTemplate>['template'], key: 'addressKey' | 'dataKey' | 'hmacKey' | 'receiptKey'): KeyStatement[] {
  const resource = template.toJSON().Resources[logicalId(stack, stack.keys[key])] as { Properties: { KeyPolicy: { Statement: KeyStatement[] } } };
  return resource.Properties.KeyPolicy.Statement;
}

const actionsOf = (statement: KeyStatement): string[] => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]);
const roleOf = (stack: AnshinRelayStack, role: { node: { defaultChild?: unknown } }) => ({ 'Fn::GetAtt': [logicalId(stack, role), 'Arn'] });

describe('key policies', () => {
  const { stack, template } = relayTemplate();

  it('let the account administer every key but use none of them directly, and grant kms:* to nobody', () => {
    for (const key of ['addressKey', 'dataKey', 'hmacKey', 'receiptKey'] as const) {
      const statements = keyPolicy(stack, template, key);
      const administration = statements.find((statement) => statement.Sid === 'AccountAdministersTheKey');
      expect(actionsOf(administration!).filter((action) => USE.test(action) || action === 'kms:Create*')).toEqual([]);
      expect(statements.flatMap(actionsOf)).not.toContain('kms:*');
    }
  });

  it('let only the relay, API, menu and destruction roles use the address key, each only for the encryption contexts it uses', () => {
    const users = keyPolicy(stack, template, 'addressKey').filter((statement) => actionsOf(statement).some((action) => USE.test(action)));
    const principals = users.flatMap((statement) => (Array.isArray(statement.Principal.AWS) ? statement.Principal.AWS : [statement.Principal.AWS])).map((principal) => JSON.stringify(principal));
    const allowed = [stack.relay.anshinFunction.role, stack.api.anshinFunction.role, stack.menu.anshinFunction.role, stack.destruction.anshinFunction.role].map((role) =>
      JSON.stringify(roleOf(stack, role)),
    );
    expect(new Set(principals)).toEqual(new Set(allowed));
    for (const statement of users) expect(Object.keys(statement.Condition?.['ForAllValues:StringEquals'] ?? {})).toEqual(['kms:EncryptionContextKeys']);
    const menu = users.filter((statement) => JSON.stringify(statement.Principal.AWS) === JSON.stringify(roleOf(stack, stack.menu.anshinFunction.role)));
    expect(menu.map((statement) => statement.Condition?.StringEquals)).toEqual([{ 'kms:EncryptionContext:purpose': ['sender'] }]);
    // Destruction decrypts the customer behind an alias a deletion names, and nothing of a store's.
    const destructionRole = JSON.stringify(roleOf(stack, stack.destruction.anshinFunction.role));
    const destruction = users.filter((statement) => [statement.Principal.AWS].flat().some((principal) => JSON.stringify(principal) === destructionRole));
    expect(destruction.map((statement) => [actionsOf(statement), statement.Condition?.['ForAllValues:StringEquals']])).toEqual([[['kms:Decrypt'], { 'kms:EncryptionContextKeys': ['alias'] }]]);
  });

  it('admit a configured break-glass role to decrypt addresses, and nobody else', () => {
    const breakGlass = 'arn:aws:iam::123456789012:role/anshin-break-glass';
    const configured = relayTemplate({ anshin: { keys: { breakGlassRoleArn: breakGlass } } });
    const statements = keyPolicy(configured.stack, configured.template, 'addressKey');
    expect(statements).toContainEqual(expect.objectContaining({ Sid: 'BreakGlassMayDecryptAddresses', Principal: { AWS: breakGlass }, Action: 'kms:Decrypt' }));
    expect(keyPolicy(stack, template, 'addressKey').map((statement) => statement.Sid)).not.toContain('BreakGlassMayDecryptAddresses');
  });

  it('let the account use the data key only through DynamoDB, SQS, SNS and S3 in the home region, and services only for this stack’s resources', () => {
    const statements = keyPolicy(stack, template, 'dataKey').filter((statement) => actionsOf(statement).some((action) => USE.test(action)));
    for (const statement of statements) {
      if (statement.Principal.AWS !== undefined) {
        expect(statement.Condition?.StringEquals?.['kms:ViaService']).toEqual(['dynamodb', 'sqs', 'sns', 's3'].map((service) => `${service}.ap-northeast-1.amazonaws.com`));
      } else {
        expect(statement.Condition).toBeDefined();
      }
    }
  });

  it('let only the functions that hash addresses compute MACs', () => {
    const users = keyPolicy(stack, template, 'hmacKey').filter((statement) => actionsOf(statement).some((action) => USE.test(action)));
    expect(users.flatMap(actionsOf).every((action) => action === 'kms:GenerateMac')).toBe(true);
    const roles = [stack.relay, stack.api, stack.menu, stack.destruction].map((construct) => JSON.stringify(roleOf(stack, construct.anshinFunction.role)));
    // Statements that differ only in their principal are merged into one naming them all.
    const principals = users.flatMap((statement) => (Array.isArray(statement.Principal.AWS) ? statement.Principal.AWS : [statement.Principal.AWS]));
    expect(new Set(principals.map((principal) => JSON.stringify(principal)))).toEqual(new Set(roles));
  });

  it('let only the retention and destruction roles sign receipts, and the account read the public key to verify them', () => {
    const statements = keyPolicy(stack, template, 'receiptKey');
    const signers = statements.filter((statement) => actionsOf(statement).includes('kms:Sign'));
    const principals = signers.flatMap((statement) => (Array.isArray(statement.Principal.AWS) ? statement.Principal.AWS : [statement.Principal.AWS]));
    const roles = [stack.retention, stack.destruction].map((construct) => JSON.stringify(roleOf(stack, construct.anshinFunction.role)));
    expect(new Set(principals.map((principal) => JSON.stringify(principal)))).toEqual(new Set(roles));
    expect(actionsOf(statements.find((statement) => statement.Sid === 'AccountAdministersTheKey')!)).toContain('kms:Get*');
  });

  it('refuses a break-glass value that is not a role ARN', () => {
    expect(() => relayTemplate({ anshin: { keys: { breakGlassRoleArn: 'admin' } } })).toThrow(/keys.breakGlassRoleArn must be an IAM role ARN/);
    expect(() => relayTemplate({ anshin: { keys: { breakglass: 'x' } } })).toThrow(/anshin.keys has no field "breakglass"/);
  });
});
