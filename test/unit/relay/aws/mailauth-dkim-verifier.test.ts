import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { mapResolver, MailauthDkimVerifier } from '../../../../lambdas/relay/aws/mailauth-dkim-verifier';
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
