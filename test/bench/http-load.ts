import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

/**
 * HTTP load from a separate Node process: a load generator on the server's event loop would
 * steal the time it is supposed to measure. The parent calls runLoad(); this same file, run
 * as a script, reads a LoadSpec on stdin, drives autocannon and prints one LoadResult line.
 */
export interface LoadSpec {
  baseUrl: string;
  /** cycled through in order, shared by all connections */
  paths: string[];
  connections: number;
  /**
   * Exactly this many requests, each answered or counted as an error: the only way to compare
   * a response count with rows stored. Without it the run lasts `seconds` and requests still
   * in flight when it stops are dropped unanswered (fine for warm-up).
   */
  amount?: number;
  seconds?: number;
  headers?: Record<string, string>;
}

export interface LoadResult {
  responses: number;
  /** by class: '2xx', '3xx', ... */
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
  /** from the first request to the last response, so the idle tail of the final sample does not count */
  elapsedMs: number;
  perSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** CPU the load generator itself used: on a small box it competes with the server */
  cpuMs: number;
}

export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [__filename], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited with ${code}`));
      try {
        resolve(JSON.parse(out) as LoadResult);
      } catch (e) {
        reject(new Error(`load generator printed no result: ${(e as Error).message}: ${out.slice(0, 200)}`));
      }
    });
    child.stdin.end(JSON.stringify(spec));
  });
}

export function accepted(r: LoadResult): number {
  return (r.statuses['2xx'] ?? 0) + (r.statuses['3xx'] ?? 0);
}

async function generate(spec: LoadSpec): Promise<LoadResult> {
  const paths = spec.paths;
  let next = 0;
  let last = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.baseUrl,
        connections: spec.connections,
        // autocannon validates keys that are present, even when undefined
        ...(spec.amount ? { amount: spec.amount } : { duration: spec.seconds ?? 10 }),
        headers: spec.headers,
        requests: [{ setupRequest: (req) => ({ ...req, path: paths[next++ % paths.length] }) }],
      },
      (err: Error | null, result: autocannon.Result) => (err ? reject(err) : resolve(result)),
    );
    instance.on('response', () => (last = performance.now()));
  });
  const elapsedMs = (last || performance.now()) - start;
  const used = process.cpuUsage(cpu);
  const statuses: Record<string, number> = { '1xx': r['1xx'], '2xx': r['2xx'], '3xx': r['3xx'], '4xx': r['4xx'], '5xx': r['5xx'] };
  const responses = Object.values(statuses).reduce((a, b) => a + b, 0);
  return {
    responses,
    statuses,
    errors: r.errors,
    timeouts: r.timeouts,
    elapsedMs,
    perSecond: elapsedMs > 0 ? (responses * 1000) / elapsedMs : 0,
    latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max, mean: r.latency.mean },
    cpuMs: (used.user + used.system) / 1000,
  };
}

async function childMain(): Promise<void> {
  let input = '';
  for await (const chunk of process.stdin) input += String(chunk);
  const result = await generate(JSON.parse(input) as LoadSpec);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  childMain().catch((e: unknown) => {
    process.stderr.write(`load generator failed: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  });
}
