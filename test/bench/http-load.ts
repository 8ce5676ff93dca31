import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { Socket, connect } from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * HTTP load from a separate Node process: a load generator on the server's event loop would
 * steal the time it is supposed to measure. The parent calls runLoad(); this same file, run
 * as a script, reads a LoadSpec on stdin, drives the load and prints one LoadResult line.
 *
 * On a small box the generator competes with the server for the same cores, so what it costs
 * per request is part of every figure. Two generators: `lean` (default), keep-alive
 * connections that write prebuilt requests and read just enough of each response to find its
 * end (about 4 us of CPU per request), and `autocannon` (BENCH_LOAD_CLIENT=autocannon), which
 * builds every request anew when paths vary (about 25-30 us per request). Both report what
 * they used in `cpuMs`.
 */
export interface LoadSpec {
  baseUrl: string;
  /** cycled through in order, shared by all connections */
  paths: string[];
  connections: number;
  /**
   * Exactly this many requests, each answered or counted as an error: the only way to compare
   * a response count with rows stored. Without it the run lasts `seconds` (requests in flight
   * at the end are still answered, and counted).
   */
  amount?: number;
  seconds?: number;
  headers?: Record<string, string>;
  client?: LoadClient;
}

export type LoadClient = 'lean' | 'autocannon';

export interface LoadResult {
  client: LoadClient;
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

/** The generator chosen with BENCH_LOAD_CLIENT, lean unless it says autocannon. */
export function loadClient(): LoadClient {
  return process.env.BENCH_LOAD_CLIENT === 'autocannon' ? 'autocannon' : 'lean';
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

async function generateWithAutocannon(spec: LoadSpec): Promise<LoadResult> {
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
    client: 'autocannon',
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

/** A request unanswered this long counts as a timeout (autocannon's default too). */
const TIMEOUT_MS = 10_000;
const HEAD_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

/** Where the reader of one response is: the head, a body of known length, or chunks. */
type ReadState = { at: 'head' } | { at: 'body'; end: number } | { at: 'chunk'; from: number };

class LeanRun {
  private next = 0;
  private sent = 0;
  private settled = 0;
  private readonly latencies: number[] = [];
  private readonly statuses: Record<string, number> = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
  private errors = 0;
  private timeouts = 0;
  private lastResponse = 0;
  private readonly started = performance.now();
  private readonly deadline: number;
  private readonly requests: Buffer[];
  private readonly open = new Set<LeanConnection>();
  private finish: (() => void) | undefined;
  private readonly host: string;
  private readonly port: number;
  readonly target: string;

  constructor(private readonly spec: LoadSpec) {
    const url = new URL(spec.baseUrl);
    this.target = spec.baseUrl;
    this.host = url.hostname;
    this.port = Number(url.port || 80);
    const head = Object.entries(spec.headers ?? {})
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    // built once: writing a ready buffer is all a request costs the generator
    this.requests = spec.paths.map((p) => Buffer.from(`GET ${p} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: keep-alive\r\n${head}\r\n`, 'latin1'));
    this.deadline = spec.amount ? Infinity : this.started + (spec.seconds ?? 10) * 1000;
  }

  async run(): Promise<Omit<LoadResult, 'client' | 'cpuMs'>> {
    const done = new Promise<void>((resolve) => (this.finish = resolve));
    for (let i = 0; i < this.spec.connections; i++) this.connect();
    const watchdog = setInterval(() => this.expire(), 250);
    await done;
    clearInterval(watchdog);
    const sorted = Float64Array.from(this.latencies).sort();
    const at = (q: number) => (sorted.length ? round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]) : 0);
    const responses = this.latencies.length;
    const elapsedMs = (this.lastResponse || performance.now()) - this.started;
    return {
      responses,
      statuses: this.statuses,
      errors: this.errors,
      timeouts: this.timeouts,
      elapsedMs,
      perSecond: elapsedMs > 0 ? (responses * 1000) / elapsedMs : 0,
      latencyMs: { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1), mean: responses ? round(sorted.reduce((a, b) => a + b, 0) / responses) : 0 },
    };
  }

  /** The next request to send, or undefined when the run has sent all it should. */
  take(): Buffer | undefined {
    if (this.spec.amount ? this.sent >= this.spec.amount : performance.now() >= this.deadline) return undefined;
    this.sent++;
    return this.requests[this.next++ % this.requests.length];
  }

  answered(status: number, latencyMs: number): void {
    this.latencies.push(latencyMs);
    const kind = `${Math.floor(status / 100)}xx`;
    this.statuses[kind] = (this.statuses[kind] ?? 0) + 1;
    this.lastResponse = performance.now();
    this.settle();
  }

  failed(timeout: boolean): void {
    this.errors++;
    if (timeout) this.timeouts++;
    this.settle();
  }

  closed(conn: LeanConnection, connected: boolean): void {
    this.open.delete(conn);
    // a connection lost mid-run is replaced while there is still something to send; one that
    // could not even connect is counted and not replaced, so a dead server ends the run
    if (!connected) this.errors++;
    else if (this.spec.amount ? this.sent < this.spec.amount : performance.now() < this.deadline) this.connect();
    if (this.open.size === 0) this.finish?.();
  }

  private settle(): void {
    this.settled++;
    if (this.spec.amount && this.settled >= this.spec.amount) for (const c of this.open) c.end();
  }

  private connect(): void {
    const conn = new LeanConnection(this, connect(this.port, this.host));
    this.open.add(conn);
  }

  private expire(): void {
    const now = performance.now();
    for (const c of this.open) if (c.waitingSince !== undefined && now - c.waitingSince > TIMEOUT_MS) c.timeOut();
  }
}

class LeanConnection {
  waitingSince: number | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private state: ReadState = { at: 'head' };
  private status = 0;
  private ending = false;
  private connected = false;

  constructor(
    private readonly run: LeanRun,
    private readonly socket: Socket,
  ) {
    socket.setNoDelay(true);
    socket.on('connect', () => {
      this.connected = true;
      this.send();
    });
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.waitingSince !== undefined) this.run.failed(false);
      this.waitingSince = undefined;
      this.run.closed(this, this.connected);
    });
  }

  end(): void {
    this.ending = true;
    if (this.waitingSince === undefined) this.socket.end();
  }

  timeOut(): void {
    this.waitingSince = undefined;
    this.run.failed(true);
    this.socket.destroy();
  }

  private send(): void {
    const request = this.ending ? undefined : this.run.take();
    if (!request) {
      this.socket.end();
      return;
    }
    this.waitingSince = performance.now();
    this.socket.write(request);
  }

  private read(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      const end = this.responseEnd();
      if (end === undefined) return;
      this.buffer = this.buffer.subarray(end);
      this.state = { at: 'head' };
      if (this.waitingSince !== undefined) this.run.answered(this.status, performance.now() - this.waitingSince);
      this.waitingSince = undefined;
      this.send();
    }
  }

  /** Offset just past the response being read once all of it is in the buffer. */
  private responseEnd(): number | undefined {
    const buf = this.buffer;
    if (this.state.at === 'head') {
      const headEnd = buf.indexOf(HEAD_END);
      if (headEnd < 0) return undefined;
      const head = buf.toString('latin1', 0, headEnd).toLowerCase();
      this.status = Number(head.slice(9, 12));
      const from = headEnd + HEAD_END.length;
      const length = /\r\ncontent-length: *(\d+)/.exec(head);
      if (/\r\ntransfer-encoding: *chunked/.test(head)) this.state = { at: 'chunk', from };
      else this.state = { at: 'body', end: from + (length ? Number(length[1]) : 0) };
    }
    if (this.state.at === 'body') return buf.length >= this.state.end ? this.state.end : undefined;
    let from: number = this.state.from;
    for (;;) {
      const lineEnd: number = buf.indexOf(CRLF, from);
      if (lineEnd < 0) return undefined;
      const size = parseInt(buf.toString('latin1', from, lineEnd), 16);
      if (Number.isNaN(size)) throw new Error(`unreadable chunk size in a response from ${this.run.target}`);
      // the last chunk has size 0 and is followed by an empty line (no trailers expected)
      const next: number = lineEnd + CRLF.length + size + CRLF.length;
      if (buf.length < next) return undefined;
      if (size === 0) return next;
      from = next;
      this.state = { at: 'chunk', from };
    }
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

async function generate(spec: LoadSpec): Promise<LoadResult> {
  if (spec.client === 'autocannon') return generateWithAutocannon(spec);
  const cpu = process.cpuUsage();
  const result = await new LeanRun(spec).run();
  const used = process.cpuUsage(cpu);
  return { client: 'lean', ...result, cpuMs: (used.user + used.system) / 1000 };
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
