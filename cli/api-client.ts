import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';

/** An RFC 9457 problem the API answered with. */
export class ApiProblemError extends Error {
  override readonly name = 'ApiProblemError';

  constructor(
    readonly status: number,
    readonly problem: { readonly title?: string; readonly detail?: string; readonly 'invalid-params'?: readonly { name: string; reason: string }[] },
  ) {
    const fields = (problem['invalid-params'] ?? []).map((param) => `${param.name}: ${param.reason}`).join('; ');
    super([problem.title ?? `HTTP ${status}`, problem.detail, fields].filter((part) => part && part !== 'See invalid-params.').join(': '));
  }
}

/**
 * The marketplace API as the CLI calls it: the same signed HTTP requests a marketplace makes
 * (SigV4, service `execute-api`), so an operator needs `execute-api:Invoke`, not the data key.
 */
export class MarketplaceApi {
  constructor(
    readonly baseUrl: string,
    private readonly region: string,
    private readonly credentials: () => Promise<AwsCredentialIdentity>,
  ) {}

  async request(method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
    const url = new URL(path.replace(/^\//, ''), this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    const text = body === undefined ? undefined : JSON.stringify(body);
    const signer = new SignatureV4({ credentials: this.credentials, region: this.region, service: 'execute-api', sha256: Hash.bind(null, 'sha256') });
    const signed = await signer.sign(
      new HttpRequest({
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        ...(url.search ? { query: Object.fromEntries(url.searchParams) } : {}),
        headers: { host: url.host, ...(text === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(text === undefined ? {} : { body: text }),
      }),
    );
    // fetch sets Host itself, to the same value that was signed.
    const { host: _host, ...sent } = signed.headers;
    const response = await fetch(url, { method, headers: sent, ...(text === undefined ? {} : { body: text }) });
    const answer = response.status === 204 ? undefined : ((await response.json().catch(() => ({}))) as unknown);
    if (response.status >= 400) throw new ApiProblemError(response.status, (answer ?? {}) as ApiProblemError['problem']);
    return { status: response.status, body: answer };
  }
}
