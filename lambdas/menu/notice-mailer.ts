import MailComposer from 'nodemailer/lib/mail-composer';
import type { Mailer } from '../relay/ports';
import type { Notice, NoticeMailer } from './ports';

/**
 * Service notices as MIME (UTF-8, encoded words and quoted-printable, by nodemailer's composer)
 * handed to the same SES mailer the relay sends with.
 */
export class ComposedNoticeMailer implements NoticeMailer {
  constructor(
    private readonly mailer: Mailer,
    /** The notices' From: a no-reply address on the relay's domain, named as the service. */
    private readonly from: string,
  ) {}

  async send(notice: Notice): Promise<void> {
    const raw = await new MailComposer({
      from: { name: 'anshin-relay', address: this.from },
      to: notice.to,
      subject: notice.subject,
      text: notice.text,
      textEncoding: 'quoted-printable',
      headers: { 'Auto-Submitted': 'auto-generated' },
    })
      .compile()
      .build();
    await this.mailer.send({ from: this.from, to: [notice.to], parts: [raw] });
  }
}
