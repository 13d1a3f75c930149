import { createServer } from 'node:net';
import type { Server } from 'node:net';

/** Every local server listens on loopback only: nothing here is meant to be reachable from outside. */
export const LOOPBACK = '127.0.0.1';

export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';

  constructor(
    readonly service: string,
    readonly port: number,
    options?: ErrorOptions,
  ) {
    super(`${service} cannot listen on port ${port}: it is already in use (stop what listens there, or free the port)`, options);
  }
}

/** Several services' ports are taken at once: named together, so one attempt shows them all. */
class PortsInUseError extends Error {
  override readonly name = 'PortsInUseError';

  constructor(readonly busy: readonly PortInUseError[]) {
    super(
      `${busy.length === 1 ? 'a port is' : `${busy.length} ports are`} already in use: ${busy.map((error) => `${error.service} ${error.port}`).join(', ')}. ` +
        'Is another local stack running? Stop it, or start this one on other ports with ANSHIN_PORT_OFFSET (e.g. ANSHIN_PORT_OFFSET=100 ANSHIN_LOCAL_DIR=.local-2 npm start).',
    );
  }
}

/** Fails with every taken port of `wanted` (0 means any, and is skipped), before anything starts. */
export async function assertPortsFree(wanted: readonly { readonly service: string; readonly port: number }[]): Promise<void> {
  const probes = await Promise.allSettled(wanted.filter(({ port }) => port !== 0).map(({ service, port }) => reservePort(service, port)));
  const busy = probes.flatMap((probe) => (probe.status === 'rejected' && probe.reason instanceof PortInUseError ? [probe.reason] : []));
  if (busy.length > 0) throw new PortsInUseError(busy);
}

/** Listens on `host:port` (0 = any free port) and resolves with the port actually bound. */
export function listen(server: Server, service: string, port: number, host: string = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(service, port, { cause: error }) : error);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close((error) => (error ? reject(error) : resolve()));
    // Keep-alive connections (the SDK's) would otherwise hold close() open.
    if ('closeAllConnections' in server && typeof server.closeAllConnections === 'function') server.closeAllConnections();
  });
}

/**
 * Checks a port is free on every interface, for servers that bind all interfaces (DynamoDB Local)
 * or swallow their own listen errors; with 0, picks a free port.
 */
export async function reservePort(service: string, port: number): Promise<number> {
  const probe = createServer();
  const bound = await new Promise<number>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(service, port, { cause: error }) : error);
    });
    probe.listen(port, () => {
      const address = probe.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
  await closeServer(probe);
  return bound;
}
