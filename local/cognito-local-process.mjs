/**
 * cognito-local with one gap filled, started by local/cognito.ts as a child process. cognito-local
 * answers InitiateAuth for an account that must still change its password with the
 * NEW_PASSWORD_REQUIRED challenge whatever password was given; Cognito first checks the temporary
 * password. Without this, any password would open a new store's first login on the local stack.
 */
import { InvalidPasswordError } from 'cognito-local/lib/errors.js';
import { Targets } from 'cognito-local/lib/targets/targets.js';

const initiateAuth = Targets.InitiateAuth;
Targets.InitiateAuth = (services) => {
  const inner = initiateAuth(services);
  return async (ctx, req) => {
    const username = req.AuthParameters?.USERNAME;
    if (req.AuthFlow === 'USER_PASSWORD_AUTH' && username) {
      const userPool = await services.cognito.getUserPoolForClientId(ctx, req.ClientId);
      const user = await userPool.getUserByUsername(ctx, username);
      if (user?.UserStatus === 'FORCE_CHANGE_PASSWORD' && user.Password !== req.AuthParameters.PASSWORD) throw new InvalidPasswordError();
    }
    return inner(ctx, req);
  };
};

await import('cognito-local/lib/bin/start.js');
