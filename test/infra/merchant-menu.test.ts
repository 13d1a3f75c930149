import { Match } from 'aws-cdk-lib/assertions';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AnshinRelayStack } from '../../lib/anshin-relay-stack';
import { MENU_STAGE } from '../../lib/constructs/merchant-menu';
import { actionsOf, logicalId, relayTemplate, statementsOfRole } from './support';

/** The merchant menu as synthesised: the stores' user pool, the menu API behind WAF, and who may touch the pool. */

let template: Template;
let stack: AnshinRelayStack;

beforeAll(() => {
  ({ template, stack } = relayTemplate());
});

describe('the merchant menu', () => {
  it('keeps the stores’ accounts in a user pool without self sign-up, with a strong password policy, optional TOTP and threat protection', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      Policies: { PasswordPolicy: { MinimumLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true, TemporaryPasswordValidityDays: 7 } },
      MfaConfiguration: 'OPTIONAL',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
      DeletionProtection: 'ACTIVE',
    });
    // The username is the store ID: no e-mail or phone number is a sign-in alias, so the pool holds no address.
    const pool = template.findResources('AWS::Cognito::UserPool')[logicalId(stack, stack.menu.userPool)]?.Properties as Record<string, unknown>;
    expect(pool.UsernameAttributes).toBeUndefined();
    expect(pool.AliasAttributes).toBeUndefined();
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      GenerateSecret: false,
      PreventUserExistenceErrors: 'ENABLED',
    });
  });

  it('serves the menu from a regional API whose stage WAF guards with AWS’s common rules and a per-IP rate limit', () => {
    const api = logicalId(stack, stack.menu.api);
    expect(template.findResources('AWS::ApiGateway::RestApi')[api]?.Properties).toMatchObject({ EndpointConfiguration: { Types: ['REGIONAL'] } });
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      DefaultAction: { Allow: {} },
      Rules: Match.arrayWith([
        Match.objectLike({ Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' } } }),
        Match.objectLike({ Statement: { RateBasedStatement: Match.objectLike({ AggregateKeyType: 'IP' }) }, Action: { Block: {} } }),
      ]),
    });
    const association = Object.values(template.findResources('AWS::WAFv2::WebACLAssociation'))[0]?.Properties as { ResourceArn: unknown };
    expect(JSON.stringify(association.ResourceArn)).toContain(`{"Ref":"${api}"}`);
    expect(JSON.stringify(association.ResourceArn)).toContain(':apigateway:ap-northeast-1::/restapis/');
    template.hasResourceProperties('AWS::ApiGateway::Stage', { StageName: MENU_STAGE, RestApiId: { Ref: api }, AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }) });
  });

  it('lets only the API create accounts or set temporary passwords, only destruction delete them, and nobody else touch the pool', () => {
    const cognitoActions = (role: string): string[] => actionsOf(statementsOfRole(template, role)).filter((action) => action.startsWith('cognito-idp:'));
    expect(cognitoActions(logicalId(stack, stack.api.anshinFunction.role)).sort()).toEqual(['cognito-idp:AdminCreateUser', 'cognito-idp:AdminSetUserPassword']);
    expect(cognitoActions(logicalId(stack, stack.destruction.anshinFunction.role)).sort()).toEqual(['cognito-idp:AdminDeleteUser', 'cognito-idp:AdminGetUser']);
    // The menu signs stores in through the public sign-in API: it needs no permission on the pool.
    for (const role of [stack.menu.anshinFunction.role, stack.relay.anshinFunction.role, stack.retention.anshinFunction.role, stack.sending.anshinFunction.role]) {
      expect(cognitoActions(logicalId(stack, role))).toEqual([]);
    }
  });

  it('publishes the menu URL and the pool for operators', () => {
    template.hasOutput('MenuUrl', { Value: Match.anyValue() });
    template.hasOutput('UserPoolId', { Value: Match.anyValue() });
  });
});
