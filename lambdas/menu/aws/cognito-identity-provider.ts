import {
  AssociateSoftwareTokenCommand,
  GetUserCommand,
  SetUserMFAPreferenceCommand,
  VerifySoftwareTokenCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import type { CognitoIdentityProviderClient, InitiateAuthCommandOutput } from '@aws-sdk/client-cognito-identity-provider';
import type { IdentityProvider, SignInOutcome } from '../ports';

export interface UserPoolSettings {
  readonly userPoolId: string;
  /** The menu's app client: no secret, `USER_PASSWORD_AUTH` only. */
  readonly clientId: string;
}

const nameOf = (error: unknown): string => (error instanceof Error ? error.name : '');

/** Runs `call`; an error named in `answers` becomes that answer, any other is thrown. */
async function answering<T>(call: () => Promise<T>, answers: Record<string, T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const answer = answers[nameOf(error)];
    if (answer === undefined) throw error;
    return answer;
  }
}

/**
 * Wrong store ID or password. Cognito answers `NotAuthorizedException` (also for its own lockout,
 * "Password attempts exceeded") and, with user-existence errors prevented, never
 * `UserNotFoundException`; cognito-local answers a wrong password with `InvalidPasswordException`.
 */
const REJECTED: Record<string, SignInOutcome> = {
  NotAuthorizedException: { kind: 'rejected' },
  UserNotFoundException: { kind: 'rejected' },
  InvalidPasswordException: { kind: 'rejected' },
  PasswordResetRequiredException: { kind: 'rejected' },
};

function outcomeOf(response: Pick<InitiateAuthCommandOutput, 'AuthenticationResult' | 'ChallengeName' | 'Session'>): SignInOutcome {
  if (response.AuthenticationResult) return { kind: 'signed_in', accessToken: response.AuthenticationResult.AccessToken ?? '' };
  const challenge = response.Session ?? '';
  if (response.ChallengeName === 'NEW_PASSWORD_REQUIRED') return { kind: 'new_password_required', challenge };
  if (response.ChallengeName === 'SOFTWARE_TOKEN_MFA') return { kind: 'mfa_required', challenge };
  // Any other challenge (SMS, e-mail OTP) is not offered by the pool: refuse rather than half sign in.
  return { kind: 'rejected' };
}

/** The stores' menu accounts in an Amazon Cognito user pool; the username is the store ID. */
export class CognitoIdentityProvider implements IdentityProvider {
  constructor(
    private readonly cognito: CognitoIdentityProviderClient,
    private readonly pool: UserPoolSettings,
  ) {}

  async signIn(storeId: string, password: string, clientIp: string): Promise<SignInOutcome> {
    return answering(async () => {
      const response = await this.cognito.send(
        new InitiateAuthCommand({
          AuthFlow: 'USER_PASSWORD_AUTH',
          ClientId: this.pool.clientId,
          AuthParameters: { USERNAME: storeId, PASSWORD: password },
          // Threat protection judges the browser's address, not the function's.
          UserContextData: { IpAddress: clientIp },
        }),
      );
      return outcomeOf(response);
    }, REJECTED);
  }

  async completeNewPassword(storeId: string, challenge: string, newPassword: string): Promise<SignInOutcome> {
    return this.respond('NEW_PASSWORD_REQUIRED', challenge, { USERNAME: storeId, NEW_PASSWORD: newPassword }, {
      InvalidPasswordException: { kind: 'password_too_weak' },
      NotAuthorizedException: { kind: 'rejected' },
      CodeMismatchException: { kind: 'rejected' },
    });
  }

  async answerMfa(storeId: string, challenge: string, code: string): Promise<SignInOutcome> {
    return this.respond('SOFTWARE_TOKEN_MFA', challenge, { USERNAME: storeId, SOFTWARE_TOKEN_MFA_CODE: code }, {
      CodeMismatchException: { kind: 'mfa_rejected' },
      ExpiredCodeException: { kind: 'mfa_rejected' },
      NotAuthorizedException: { kind: 'rejected' },
    });
  }

  /** Answers a sign-in challenge; the errors named in `answers` are outcomes, any other is thrown. */
  private async respond(
    challengeName: 'NEW_PASSWORD_REQUIRED' | 'SOFTWARE_TOKEN_MFA',
    challenge: string,
    responses: Record<string, string>,
    answers: Record<string, SignInOutcome>,
  ): Promise<SignInOutcome> {
    return answering(
      async () =>
        outcomeOf(await this.cognito.send(new RespondToAuthChallengeCommand({ ClientId: this.pool.clientId, ChallengeName: challengeName, Session: challenge, ChallengeResponses: responses }))),
      answers,
    );
  }

  async totpEnabled(accessToken: string): Promise<boolean> {
    const { UserMFASettingList } = await this.cognito.send(new GetUserCommand({ AccessToken: accessToken }));
    return (UserMFASettingList ?? []).includes('SOFTWARE_TOKEN_MFA');
  }

  async startTotpSetup(accessToken: string): Promise<string> {
    const { SecretCode } = await this.cognito.send(new AssociateSoftwareTokenCommand({ AccessToken: accessToken }));
    if (!SecretCode) throw new Error('Cognito answered AssociateSoftwareToken without a secret');
    return SecretCode;
  }

  async finishTotpSetup(accessToken: string, code: string): Promise<boolean> {
    const verified = await answering(
      async () => (await this.cognito.send(new VerifySoftwareTokenCommand({ AccessToken: accessToken, UserCode: code, FriendlyDeviceName: 'anshin-menu' }))).Status === 'SUCCESS',
      { CodeMismatchException: false, EnableSoftwareTokenMFAException: false },
    );
    if (!verified) return false;
    await this.cognito.send(new SetUserMFAPreferenceCommand({ AccessToken: accessToken, SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true } }));
    return true;
  }

  async invite(storeId: string, temporaryPassword: string): Promise<{ readonly created: boolean }> {
    try {
      // The invitation goes out as the project's own mail (Japanese first); Cognito's is suppressed.
      await this.cognito.send(new AdminCreateUserCommand({ UserPoolId: this.pool.userPoolId, Username: storeId, TemporaryPassword: temporaryPassword, MessageAction: 'SUPPRESS' }));
      return { created: true };
    } catch (error) {
      if (nameOf(error) !== 'UsernameExistsException') throw error;
    }
    await this.cognito.send(new AdminSetUserPasswordCommand({ UserPoolId: this.pool.userPoolId, Username: storeId, Password: temporaryPassword, Permanent: false }));
    return { created: false };
  }

  async deleteAccount(storeId: string): Promise<boolean> {
    return answering(async () => {
      await this.cognito.send(new AdminDeleteUserCommand({ UserPoolId: this.pool.userPoolId, Username: storeId }));
      return true;
    }, { UserNotFoundException: false });
  }

  async hasAccount(storeId: string): Promise<boolean> {
    return answering(async () => {
      await this.cognito.send(new AdminGetUserCommand({ UserPoolId: this.pool.userPoolId, Username: storeId }));
      return true;
    }, { UserNotFoundException: false });
  }
}
