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
