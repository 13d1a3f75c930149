import { generateKeyPairSync } from 'node:crypto';

/** A fresh RSA signing key and the DKIM TXT record (RFC 6376 §3.6.1) that publishes its public half. */
export function dkimKey(): { readonly privateKey: string; readonly record: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    record: `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`,
  };
}
