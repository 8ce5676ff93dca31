import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Embedded mode end to end: no DATABASE_URL, no REDIS_URL. PGlite is ESM + WASM and cannot run
 * inside Jest's CommonJS runtime, so this drives the built engine and CLI as real child processes
 * against one temporary DATA_DIR: boot, single-owner lock, CLI attaching to the running engine,
 * clean SIGTERM shutdown, CLI opening the files itself, and data surviving a restart.
 */
jest.setTimeout(120_000);

const ROOT = resolve(__dirname, '../..');
const MAIN = join(ROOT, 'dist/src/main.js');
const CLI = join(ROOT, 'dist/src/cli.js');
/** A first boot applies every migration to a fresh PGlite; ~6-20 s here, far more on a loaded CI box. */
const BOOT_TIMEOUT_MS = 90_000;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Proc {
  name: string;
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exit?: Exit;
  exited: Promise<Exit>;
}

const procs: Proc[] = [];
let dataDir: string;

function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  return { ...env, DATA_DIR: dataDir, LOG_LEVEL: 'info', NODE_ENV: 'test', ...extra };
}

function start(name: string, args: string[], env: NodeJS.ProcessEnv): Proc {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<Exit>((resolveExit) => {
    // 'close' rather than 'exit': stdout/stderr are fully read by then.
    child.once('close', (code, signal) => resolveExit({ code, signal }));
    child.once('error', (e) => {
      proc.stderr += `\n[spawn error] ${e.message}`;
      resolveExit({ code: -1, signal: null });
    });
  });
  const proc: Proc = { name, child, stdout: '', stderr: '', exited };
  void exited.then((exit) => (proc.exit = exit));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (proc.stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (proc.stderr += chunk));
  procs.push(proc);
  return proc;
}

function startEngine(name: string, port: number): Proc {
  return start(name, [MAIN], childEnv({ PORT: String(port), HOST: '127.0.0.1' }));
}

function output(proc: Proc): string {
  const tail = (s: string) => (s.length > 6000 ? `…${s.slice(-6000)}` : s);
  return `--- ${proc.name} (pid ${proc.child.pid}, exit ${JSON.stringify(proc.exit ?? 'running')}) ---\nstdout:\n${tail(proc.stdout)}\nstderr:\n${tail(proc.stderr)}`;
}

/** Runs assertions; on failure, appends the child's output to the message. */
function explain(proc: Proc, assertions: () => void): void {
  try {
    assertions();
  } catch (e) {
    if (e instanceof Error) e.message += `\n\n${output(proc)}`;
    throw e;
  }
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, opts: { timeoutMs: number; proc?: Proc; intervalMs?: number }): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: unknown;
  for (;;) {
    if (opts.proc?.exit) throw new Error(`${opts.proc.name} exited while waiting for ${what}\n\n${output(opts.proc)}`);
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) {
      const lastError = last instanceof Error ? ` (last error: ${last.message})` : '';
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}${lastError}${opts.proc ? `\n\n${output(opts.proc)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}

async function waitForExit(proc: Proc, timeoutMs: number): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${proc.name} did not exit within ${timeoutMs} ms\n\n${output(proc)}`)), timeoutMs);
  });
  try {
    return await Promise.race([proc.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** SIGTERM, then SIGKILL if it does not exit within the grace period. */
async function stop(proc: Proc, graceMs = 15_000): Promise<void> {
  if (proc.exit) return;
  proc.child.kill('SIGTERM');
  await waitForExit(proc, graceMs).catch(async () => {
    proc.child.kill('SIGKILL');
    await waitForExit(proc, 5000).catch(() => undefined);
  });
}

async function runCli(name: string, args: string[]): Promise<Proc> {
  const proc = start(name, [CLI, ...args], childEnv());
  await waitForExit(proc, 30_000);
  return proc;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (!address || typeof address === 'string') return reject(new Error('no port'));
      server.close(() => resolvePort(address.port));
    });
  });
}

interface HealthReport {
  status: string;
  checks: { database: { status: string }; redis: { status: string } };
}

async function waitForHealth(proc: Proc, port: number): Promise<HealthReport> {
  return waitFor(
    `GET /health 200 on port ${port}`,
    async () => {
      const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(3000) });
      const body = (await res.json()) as HealthReport;
      return res.status === 200 && body.status === 'ok' ? body : undefined;
    },
    { timeoutMs: BOOT_TIMEOUT_MS, proc },
  );
}

const stateFile = () => join(dataDir, 'postgres.json');
const readState = () => JSON.parse(readFileSync(stateFile(), 'utf8')) as { pid: number; port: number };

describe('embedded mode (PGlite, in-process jobs) as real processes', () => {
  let engine: Proc;
  let port: number;
  let apiKey: string;
  let leadId: string;

  beforeAll(() => {
    execFileSync('npx', ['swc', 'src', 'migrations', '-d', 'dist', '--quiet'], { cwd: ROOT, stdio: 'pipe', timeout: 60_000 });
    dataDir = mkdtempSync(join(tmpdir(), 'kindling-e2e-'));
  });

  afterAll(async () => {
    for (const proc of procs) await stop(proc);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('boots without DATABASE_URL and REDIS_URL, says so, and reports healthy', async () => {
    port = await freePort();
    engine = startEngine('engine#1', port);
    const health = await waitForHealth(engine, port);

    explain(engine, () => {
      expect(health.checks.database.status).toBe('ok');
      expect(health.checks.redis.status).toBe('not-used');
    });
    // The boot line is written before listen(); poll only to let the pipe deliver it.
    await waitFor('the boot log naming the modes', async () => (/embedded PGlite/.test(engine.stdout) && /in-process/.test(engine.stdout)) || undefined, {
      timeoutMs: 5000,
      proc: engine,
    });
    explain(engine, () => {
      expect(existsSync(stateFile())).toBe(true);
      expect(readState().pid).toBe(engine.child.pid);
    });
  });

  it('refuses a second engine on the same DATA_DIR, fast, without disturbing the first', async () => {
    const second = startEngine('engine#2 (same DATA_DIR)', await freePort());
    // If it wrongly boots, stop it here so it cannot own the database during the later steps.
    const exit = await waitForExit(second, 30_000).finally(() => stop(second, 5000));

    explain(second, () => {
      expect(exit.signal).toBeNull();
      expect(exit.code).not.toBe(0);
      expect(second.stderr).toContain('already runs the embedded database');
      expect(readState().pid).toBe(engine.child.pid);
    });
    const health = await waitForHealth(engine, port);
    expect(health.checks.database.status).toBe('ok');
  });

  it('creates an API key with the CLI attached to the running engine, and the API accepts it', async () => {
    const before = readFileSync(stateFile(), 'utf8');
    const cli = await runCli('cli apikey create', ['apikey', 'create', '--name', 'e2e', '--json']);
    explain(cli, () => expect(cli.exit).toEqual({ code: 0, signal: null }));

    const line = cli.stdout.split('\n').find((l) => l.trim().startsWith('{'));
    explain(cli, () => expect(line).toBeDefined());
    const created = JSON.parse(line!) as { key: string; name: string };
    expect(created.name).toBe('e2e');
    expect(created.key).toMatch(/^kl_[0-9a-f]+_[0-9a-f]+$/);
    apiKey = created.key;

    // Attached, not opened: the owner's state file is untouched (an owner CLI would rewrite, then delete it).
    explain(engine, () => expect(readFileSync(stateFile(), 'utf8')).toBe(before));

    const res = await fetch(`http://127.0.0.1:${port}/v1/leads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'Persist@Example.com', firstName: 'Per' }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json()) as { created: boolean; lead: { id: string; email: string } };
    explain(engine, () => {
      expect({ status: res.status, body }).toMatchObject({ status: 201, body: { created: true, lead: { email: 'persist@example.com' } } });
    });
    leadId = body.lead.id;
  });

  it('shuts down cleanly on SIGTERM: exit 0 and the state file removed', async () => {
    engine.child.kill('SIGTERM');
    const exit = await waitForExit(engine, 30_000);
    explain(engine, () => {
      expect(exit).toEqual({ code: 0, signal: null });
      expect(existsSync(stateFile())).toBe(false);
    });
  });

  it('lists keys with the CLI opening the database itself while the engine is stopped', async () => {
    const cli = await runCli('cli apikey list', ['apikey', 'list']);
    explain(cli, () => {
      expect(cli.exit).toEqual({ code: 0, signal: null });
      expect(cli.stdout).toMatch(/^\S+\s+e2e\s+created /m);
      // The CLI owned the files for its run and released them.
      expect(existsSync(stateFile())).toBe(false);
    });
  });

  it('keeps the key and the lead across a restart on the same DATA_DIR', async () => {
    port = await freePort();
    engine = startEngine('engine#3 (restart)', port);
    await waitForHealth(engine, port);

    const res = await fetch(`http://127.0.0.1:${port}/v1/leads/${leadId}`, {
      headers: { authorization: `Bearer ${apiKey}` },
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json()) as { id: string; email: string; firstName: string };
    explain(engine, () => {
      expect({ status: res.status, body }).toMatchObject({ status: 200, body: { id: leadId, email: 'persist@example.com', firstName: 'Per' } });
    });
  });
});
