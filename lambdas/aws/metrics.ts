import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE } from '../metric-names';

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

/** What a function reports: counts and measures under its service, and under a second dimension. */
export interface FunctionMetrics {
  add(name: string, value?: number, unit?: Unit): void;
  /** A count under a second dimension (a reason, a class, a result), flushed as its own EMF line. */
  countBy(name: string, dimension: string, dimensionValue: string, count?: number): void;
  /** Writes what was stored this invocation. */
  publish(): void;
}

export { MetricUnit };

/** One function's metrics through Powertools (EMF on stdout): namespace `Anshin`, its service name as the default dimension. */
export function serviceMetrics(serviceName: string): FunctionMetrics {
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
  return {
    add: (name, value = 1, unit = MetricUnit.Count) => metrics.addMetric(name, unit, value),
    countBy: (name, dimension, dimensionValue, count = 1) => {
      const single = metrics.singleMetric();
      single.addDimension(dimension, dimensionValue);
      single.addMetric(name, MetricUnit.Count, count);
    },
    // Nothing when nothing was stored: Powertools would warn.
    publish: () => {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    },
  };
}

/** For code run where nothing reads metrics: the CLI's in-process runs, the local API and menu. */
export const NO_METRICS: FunctionMetrics = { add: () => undefined, countBy: () => undefined, publish: () => undefined };

/** The HTTP result class of a status code, the `result` dimension of request counts. */
export function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

interface MiddlewareHost {
  readonly middlewareStack: {
    add(middleware: (next: (args: object) => Promise<unknown>) => (args: object) => Promise<unknown>, options: { step: 'initialize'; name: string }): void;
  };
}

/**
 * Counts every call the given SDK clients make (retries of one call count once): the returned
 * function reads the running total. For a function's own clients only; clients shared with other
 * code would count its calls too.
 */
export function countSdkCalls(clients: readonly object[]): () => number {
  let calls = 0;
  for (const client of clients) {
    (client as MiddlewareHost).middlewareStack.add(
      (next) => async (args) => {
        calls += 1;
        return next(args);
      },
      { step: 'initialize', name: 'anshinCountCalls' },
    );
  }
  return () => calls;
}
