import { createServer } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { lambdaContext, proxyEvent, readBody, send, sendResult } from './lambda-proxy';
import { closeServer, listen, LOOPBACK } from './listen';
import type { LocalLog } from './log';

type MenuHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface LocalMenuOptions {
  readonly port: number;
  readonly log: LocalLog;
}

export interface LocalMenu {
  readonly url: string;
  /** Starts answering with the menu's Lambda handler, as deployed; until then every request gets 503. */
  serve(handler: MenuHandler): void;
  close(): Promise<void>;
}

/**
 * The merchant menu on loopback as API Gateway serves it: every request becomes the REST API's
 * proxy event (with the client's address as `sourceIp`) for the menu function's own handler. It
 * listens before its handler exists, because its URL goes into what the other functions are built
 * with; holding the port from the start keeps another process from taking it meanwhile.
 */
export async function startLocalMenu(options: LocalMenuOptions): Promise<LocalMenu> {
  let handler: MenuHandler | undefined;
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? LOOPBACK}`);
      const body = await readBody(req);
      if (!handler) {
        send(res, 503, { 'content-type': 'text/plain', 'retry-after': '1' }, 'The menu is starting');
        return;
      }
      sendResult(res, await handler(proxyEvent(req, url, body), lambdaContext('anshin-menu-local')));
    })().catch((error: unknown) => {
      options.log('menu_server_failed', { errorName: error instanceof Error ? error.name : 'unknown' });
      if (!res.headersSent) send(res, 500, { 'content-type': 'text/plain' }, 'Internal server error');
    });
  });
  const port = await listen(server, 'merchant menu', options.port);
  return {
    url: `http://${LOOPBACK}:${port}`,
    serve: (menuHandler) => {
      handler = menuHandler;
    },
    close: () => closeServer(server),
  };
}
