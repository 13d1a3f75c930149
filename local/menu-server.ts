import { createServer } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { lambdaContext, proxyEvent, readBody, send, sendResult } from './lambda-proxy';
import { closeServer, listen, LOOPBACK } from './listen';
import type { LocalLog } from './log';

export interface LocalMenuOptions {
  readonly port: number;
  /** The menu's Lambda handler, as deployed. */
  readonly handler: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
  readonly log: LocalLog;
}

export interface LocalMenu {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The merchant menu on loopback as API Gateway serves it: every request becomes the REST API's
 * proxy event (with the client's address as `sourceIp`) for the menu function's own handler.
 */
export async function startLocalMenu(options: LocalMenuOptions): Promise<LocalMenu> {
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? LOOPBACK}`);
      const body = await readBody(req);
      sendResult(res, await options.handler(proxyEvent(req, url, body), lambdaContext('anshin-menu-local')));
    })().catch((error: unknown) => {
      options.log('menu_server_failed', { errorName: error instanceof Error ? error.name : 'unknown' });
      if (!res.headersSent) send(res, 500, { 'content-type': 'text/plain' }, 'Internal server error');
    });
  });
  const port = await listen(server, 'merchant menu', options.port);
  return { url: `http://${LOOPBACK}:${port}`, close: () => closeServer(server) };
}
