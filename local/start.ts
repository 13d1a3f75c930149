/**
 * `npm start`: runs the relay on loopback with the contract ports and keeps its data in `./.local`
 * until Ctrl-C. Never deployed.
 */
import { resolve } from 'node:path';
import type { LocalEndpoints } from './endpoints';
import { jsonLinesLog } from './log';
import { localPorts, startLocalStack } from './stack';
import type { LocalStack } from './stack';

// Another local stack, side by side: `ANSHIN_PORT_OFFSET=100 ANSHIN_LOCAL_DIR=.local-2 npm start`, and
// the CLI with the same ANSHIN_LOCAL_DIR (it reads the ports from that stack's endpoints.json).
const dataDir = resolve(process.env.ANSHIN_LOCAL_DIR || '.local');
const portOffset = Number(process.env.ANSHIN_PORT_OFFSET ?? 0);
/** Signals this close together come from one keypress. */
const SAME_KEYPRESS_MS = 1000;

function tryIt(endpoints: LocalEndpoints): string {
  return [
    'Try it:',
    '  1. npx anshin store create --store-id demo-shop --name "デモ商店" --contact owner@shop.example --sender news@shop.example',
    '  2. npx anshin alias issue --store-id demo-shop --order-id 1001 --customer taro@example.com',
    `  3. send a mail from news@shop.example to the alias (…@${endpoints.relayDomain}) via ${endpoints.smtp} (e.g. with swaks or nodemailer),`,
    `     then open ${endpoints.outbox} or ${endpoints.outboxDir}/`,
    '  Simulate failed checks with a header such as "X-Local-Verdict: spf=FAIL, dkim=FAIL" in the submitted mail.',
    `  4. the store's menu: its invitation (store ID and temporary password) is in ${endpoints.outboxDir}/;`,
    `     log in at ${endpoints.menu}/login (?lang=en for English), set a password, add and verify a sender`,
    `  The marketplace API: curl --aws-sigv4 "aws:amz:ap-northeast-1:execute-api" --user local:local ${endpoints.api}/stores/demo-shop`,
  ].join('\n');
}

async function main(): Promise<void> {
  if (!Number.isInteger(portOffset) || portOffset < 0 || portOffset > 50_000) {
    process.stderr.write('ANSHIN_PORT_OFFSET must be a whole number from 0 to 50000\n');
    process.exitCode = 1;
    return;
  }
  let stack: LocalStack;
  try {
    stack = await startLocalStack({ dataDir, ports: localPorts(portOffset), persistent: true, log: jsonLinesLog });
  } catch (error) {
    process.stderr.write(`anshin-relay local stack failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
    return;
  }
  const { endpoints } = stack;
  process.stdout.write(
    [
      `anshin-relay local stack is running (data in ${dataDir}, endpoints in ${dataDir}/endpoints.json)`,
      `  SMTP ingress  ${endpoints.smtp}   (accepts mail for @${endpoints.relayDomain})`,
      `  SES outbox    ${endpoints.outbox}   (web inbox; raw copies in ${endpoints.outboxDir})`,
      `  DynamoDB      ${endpoints.dynamodb}`,
      `  S3            ${endpoints.s3}   (bucket ${endpoints.inboundBucket})`,
      `  KMS           ${endpoints.kms}`,
      `  control       ${endpoints.control}   (for \`anshin dlq replay\` and \`anshin dev redeliver\`)`,
      `  API           ${endpoints.api}   (marketplace API; SigV4 with access key "local", secret "local", service execute-api)`,
      `  menu          ${endpoints.menu}   (merchant menu: stores log in with store ID and password)`,
      `  Cognito       ${endpoints.cognito.url}   (cognito-local: the stores' user pool ${endpoints.cognito.userPoolId})`,
      '',
      tryIt(endpoints),
      '',
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );

  let stoppingSince: number | undefined;
  const shutdown = (signal: NodeJS.Signals): void => {
    // A terminal's Ctrl-C reaches npm, tsx and this process alike, and tsx passes its copy on: the
    // same keypress can arrive twice. Only a second Ctrl-C a moment later means "do not wait"; the
    // exit hook still kills DynamoDB Local then.
    if (stoppingSince !== undefined) {
      if (Date.now() - stoppingSince > SAME_KEYPRESS_MS) process.exit(130);
      return;
    }
    stoppingSince = Date.now();
    process.stdout.write(`\n${signal}: stopping the local stack…\n`);
    // Exits once the last line is written: stdout may be a pipe, whose writes finish later.
    stack.stop().then(
      () => process.stdout.write('stopped.\n', () => process.exit(0)),
      (error: unknown) => process.stderr.write(`stop failed: ${error instanceof Error ? error.message : String(error)}\n`, () => process.exit(1)),
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

await main();
