/**
 * Faults injected at the SDK boundary: a middleware on a real SDK client fails chosen calls before
 * they leave the SDK, and everything else reaches the real (local) servers. Shared by the fault
 * integration tests and the soak run (bench/soak.ts).
 */

type Next = (args: { input: object }) => Promise<unknown>;

/** What fault injection needs of an SDK client: its middleware stack. */
export interface MiddlewareHost {
  readonly middlewareStack: {
    add(middleware: (next: Next, context: { commandName?: string }) => Next, options: { step: 'initialize'; name: string }): void;
    remove(name: string): boolean;
  };
}

export interface Fault {
  /** Calls failed so far. */
  readonly injected: number;
  remove(): void;
}

export interface FaultSpec {
  /** Command name(s), e.g. `SendEmailCommand`. */
  readonly command: string | readonly string[];
  /** Only calls naming this table. */
  readonly table?: string;
  /** Only calls whose input (as the base client sees it: DynamoDB items marshalled) satisfies this. */
  readonly when?: (input: Readonly<Record<string, unknown>>) => boolean;
  /** Matching calls let through before the first failure. */
  readonly skip?: number;
  /**
   * Most matching calls failed, after the skipped ones. Without `probability` the first `times`
   * calls fail; with it, this caps the failures.
   * @default unlimited with `probability`
   */
  readonly times?: number;
  /** Each matching call (after the skipped ones) fails with this probability, drawn from `random`. */
  readonly probability?: number;
  /** Source of draws for `probability`; a {@link seededRandom} keeps a run repeatable. */
  readonly random?: () => number;
  /** The error thrown; a fresh one per failure. @default {@link throttlingError} */
  readonly error?: () => Error;
  /** Told about each failed call, e.g. to remember which delivery a fault hit. */
  readonly onInject?: (input: Readonly<Record<string, unknown>>) => void;
}

/** A ThrottlingException shaped as the SDK raises it; every relay classification treats it as transient. */
function throttlingError(): Error {
  return Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

/** mulberry32: small, fast and good enough to pick faults; the same seed gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let faultCount = 0;

/**
 * Fails matching calls with `spec.error`. Added at the initialize step, before the SDK's own
 * retries, so each injected failure reaches the caller as if every retry had failed.
 */
export function injectFault(client: MiddlewareHost, spec: FaultSpec): Fault {
  if (spec.probability !== undefined && spec.random === undefined) throw new Error('a fault with a probability needs a random source');
  if (spec.probability === undefined && spec.times === undefined) throw new Error('a fault needs `times`, `probability` or both');
  const commands: readonly string[] = typeof spec.command === 'string' ? [spec.command] : spec.command;
  const name = `inject-fault-${(faultCount += 1)}`;
  const limit = spec.times ?? Number.POSITIVE_INFINITY;
  const { probability, random } = spec;
  let seen = 0;
  let injected = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Readonly<Record<string, unknown>>;
      const matches =
        context.commandName !== undefined &&
        commands.includes(context.commandName) &&
        (spec.table === undefined || input.TableName === spec.table) &&
        (spec.when === undefined || spec.when(input));
      if (matches) {
        seen += 1;
        const due = seen > (spec.skip ?? 0) && injected < limit;
        if (due && (probability === undefined || random === undefined || random() < probability)) {
          injected += 1;
          spec.onInject?.(input);
          throw (spec.error ?? throttlingError)();
        }
      }
      return next(args);
    },
    { step: 'initialize', name },
  );
  return {
    get injected() {
      return injected;
    },
    remove: () => void client.middlewareStack.remove(name),
  };
}

/** {@link injectFault} with a synthetic ThrottlingException. */
export function injectThrottling(client: MiddlewareHost, spec: Omit<FaultSpec, 'error'>): Fault {
  return injectFault(client, spec);
}
