import { createRequire } from 'node:module';
import type * as SesV2Local from 'aws-ses-v2-local';
import { closeServer, LOOPBACK, PortInUseError, reservePort } from './listen';

// Loaded through require: the package is CommonJS with an `exports.default`, which Node's ESM
// loader would hand over as `{ default }` under some runners and as the function under others.
const require = createRequire(import.meta.url);
const { default: startSesV2Local } = require('aws-ses-v2-local') as typeof SesV2Local;

export interface SesOutboxServer {
  /** SES v2 API endpoint and the web inbox a person browses. */
  readonly url: string;
  close(): Promise<void>;
}

/** aws-ses-v2-local in-process on loopback: it accepts SendEmail and shows what was sent. */
export async function startSesOutboxServer(port: number): Promise<SesOutboxServer> {
  const service = 'SES outbox (aws-ses-v2-local)';
  // It resolves even when listening failed, so the port is checked first and the result after.
  const chosen = await reservePort(service, port);
  const server = await startSesV2Local({ host: LOOPBACK, port: chosen });
  if (!server.listening) throw new PortInUseError(service, chosen);
  return { url: `http://${LOOPBACK}:${chosen}`, close: () => closeServer(server) };
}
