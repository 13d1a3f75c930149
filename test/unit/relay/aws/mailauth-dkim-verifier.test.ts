import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { mapResolver, MailauthDkimVerifier } from '../../../../lambdas/relay/aws/mailauth-dkim-verifier';
import type * as VerifierModule from '../../../../lambdas/relay/aws/mailauth-dkim-verifier';
import { BUNDLE_ALIASES } from '../../../../lib/secure-defaults';
import { dkimKey } from '../../../support/dkim';

const attacker = dkimKey();
const store = dkimKey();

async function signed(domainName: string, privateKey: string, tamper = false): Promise<Buffer> {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, dkim: { domainName, keySelector: 's1', privateKey } });
  const { message } = (await transport.sendMail({ from: 'news@shop.example', to: 'c-7k2m9q4x0abc@relay.example.jp', subject: '確認', text: '本文\r\n' })) as { message: Buffer };
  // SES puts its own fields on top of what it stores; they are not signed and must not matter.
  const stored = Buffer.concat([Buffer.from('Return-Path: <x@attacker.example>\r\nX-SES-Spam-Verdict: PASS\r\n'), message]);
  return tamper ? Buffer.from(stored.toString('latin1').replace('本文', '改竄').replace('5pys5paH', '5pS556uE'), 'latin1') : stored;
}

const dns = mapResolver({ 's1._domainkey.attacker.example': { TXT: [attacker.record] }, 's1._domainkey.shop.example': { TXT: [store.record] } });

describe('MailauthDkimVerifier', () => {
  it('names the domain of a signature that verifies', async () => {
    expect(await new MailauthDkimVerifier(dns).verify(await signed('attacker.example', attacker.privateKey))).toEqual({ passingDomains: ['attacker.example'], temporaryFailure: false });
  });

  it('names no domain for a body changed after signing', async () => {
    expect((await new MailauthDkimVerifier(dns).verify(await signed('shop.example', store.privateKey, true))).passingDomains).toEqual([]);
  });

  it("names no domain for a signature made with another domain's key", async () => {
    expect((await new MailauthDkimVerifier(dns).verify(await signed('shop.example', attacker.privateKey))).passingDomains).toEqual([]);
  });

  it('names no domain when the key is not published', async () => {
    expect(await new MailauthDkimVerifier(mapResolver({})).verify(await signed('shop.example', store.privateKey))).toEqual({ passingDomains: [], temporaryFailure: false });
  });

  it('reports a temporary failure when the key lookup fails for the moment', async () => {
    const failing = async () => {
      throw Object.assign(new Error('timeout'), { code: 'ETIMEOUT' });
    };
    expect(await new MailauthDkimVerifier(failing).verify(await signed('shop.example', store.privateKey))).toEqual({ passingDomains: [], temporaryFailure: true });
  });
});

describe('MailauthDkimVerifier as bundled for deployment, with the stand-in for joi', () => {
  it('verifies a good signature and refuses a key that is not base64, as with joi', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'anshin-dkim-bundle-'));
    try {
      const outfile = join(dir, 'verifier.mjs');
      await build({
        entryPoints: [fileURLToPath(new URL('../../../../lambdas/relay/aws/mailauth-dkim-verifier.ts', import.meta.url))],
        bundle: true,
        platform: 'node',
        format: 'esm',
        outfile,
        mainFields: ['module', 'main'],
        banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
        alias: { ...BUNDLE_ALIASES },
        logLevel: 'silent',
      });
      const code = await readFile(outfile, 'utf8');
      expect(code).toContain('joi stand-in');
      expect(code).not.toContain('@hapi');
      const bundled = (await import(pathToFileURL(outfile).href)) as typeof VerifierModule;
      const verifier = (records: Parameters<typeof mapResolver>[0]) => new bundled.MailauthDkimVerifier(bundled.mapResolver(records));
      expect((await verifier({ 's1._domainkey.shop.example': { TXT: [store.record] } }).verify(await signed('shop.example', store.privateKey))).passingDomains).toEqual(['shop.example']);
      const notBase64 = store.record.replace(/p=([A-Za-z0-9+/]{8})/, 'p=$1!!');
      expect((await verifier({ 's1._domainkey.shop.example': { TXT: [notBase64] } }).verify(await signed('shop.example', store.privateKey))).passingDomains).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
