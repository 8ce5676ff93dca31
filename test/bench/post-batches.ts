import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

/**
 * POSTs a fixed list of JSON bodies from a separate Node process with a bounded number in
 * flight, every body exactly once (autocannon cycles paths but cannot send each of many bodies
 * once). A sender on the server's event loop would steal the time it is supposed to measure.
 * The parent calls postBatches(); this same file, run as a script, reads a PostSpec on stdin,
 * sends, and prints one PostResult line.
 */
export interface PostSpec {
  url: string;
  headers: Record<string, string>;
  /** request bodies, already serialised; each is sent once */
  bodies: string[];
  /** requests in flight at once */
  concurrency: number;
}

export interface PostResult {
  requests: number;
  /** by exact status code */
  statuses: Record<string, number>;
  /** bodies of the 2xx answers, in request order (non-2xx ones are '') */
  answers: string[];
  /** the first few error statuses with their bodies, for the log */
  failures: string[];
  errors: number;
  /** wall clock (performance.timeOrigin-based, ms since the epoch) of the first request and the last 2xx answer */
  startedAt: number;
  lastOkAt: number;
  latencyMs: { p50: number; p99: number; max: number };
  /** CPU the sender itself used: on a small box it competes with the server */
  cpuMs: number;
}

/** Milliseconds since the epoch with sub-millisecond precision, comparable across processes. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

export function postBatches(spec: PostSpec): Promise<PostResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [__filename], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`sender exited with ${code}`));
      try {
        resolve(JSON.parse(out) as PostResult);
      } catch (e) {
        reject(new Error(`sender printed no result: ${(e as Error).message}: ${out.slice(0, 200)}`));
      }
    });
    child.stdin.end(JSON.stringify(spec));
  });
}

async function send(spec: PostSpec): Promise<PostResult> {
  const statuses: Record<string, number> = {};
  const answers: string[] = new Array<string>(spec.bodies.length).fill('');
  const failures: string[] = [];
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  let lastOkAt = 0;
  const cpu = process.cpuUsage();
  const startedAt = epochMs();

  const worker = async () => {
    for (let i = next++; i < spec.bodies.length; i = next++) {
      const t0 = performance.now();
      try {
        const res = await fetch(spec.url, { method: 'POST', headers: { 'content-type': 'application/json', ...spec.headers }, body: spec.bodies[i] });
        const text = await res.text();
        latencies.push(performance.now() - t0);
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.ok) {
          answers[i] = text;
          lastOkAt = epochMs();
        } else if (failures.length < 5) failures.push(`${res.status}: ${text.slice(0, 300)}`);
      } catch (e) {
        errors++;
        if (failures.length < 5) failures.push(String(e));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, spec.concurrency) }, worker));

  const used = process.cpuUsage(cpu);
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => (latencies.length ? Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]) : 0);
  return {
    requests: spec.bodies.length,
    statuses,
    answers,
    failures,
    errors,
    startedAt,
    lastOkAt,
    latencyMs: { p50: pct(0.5), p99: pct(0.99), max: Math.round(latencies[latencies.length - 1] ?? 0) },
    cpuMs: (used.user + used.system) / 1000,
  };
}

async function childMain(): Promise<void> {
  // chunks are joined as bytes: a character split across two chunks must not be decoded apart
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const result = await send(JSON.parse(Buffer.concat(chunks).toString('utf8')) as PostSpec);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  childMain().catch((e: unknown) => {
    process.stderr.write(`sender failed: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  });
}
