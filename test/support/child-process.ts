import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * The built engine as real child processes: start, collect output, wait, stop. Output is kept
 * (the tail of it) so a failing assertion can show what the process said.
 */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Proc {
  name: string;
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exit?: Exit;
  exited: Promise<Exit>;
}

/** Output kept per stream; a long run of warnings must not grow the test process without bound. */
const KEEP_CHARS = 200_000;

export function startProcess(name: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Proc {
  const child = spawn(process.execPath, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<Exit>((resolveExit) => {
    // 'close' rather than 'exit': stdout/stderr are fully read by then
    child.once('close', (code, signal) => resolveExit({ code, signal }));
    child.once('error', (e) => {
      proc.stderr += `\n[spawn error] ${e.message}`;
      resolveExit({ code: -1, signal: null });
    });
  });
  const proc: Proc = { name, child, stdout: '', stderr: '', exited };
  void exited.then((exit) => (proc.exit = exit));
  const keep = (s: string) => (s.length > KEEP_CHARS ? s.slice(-KEEP_CHARS) : s);
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (proc.stdout = keep(proc.stdout + chunk)));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (proc.stderr = keep(proc.stderr + chunk)));
  return proc;
}

export function processOutput(proc: Proc, tailChars = 6000): string {
  const tail = (s: string) => (s.length > tailChars ? `…${s.slice(-tailChars)}` : s);
  return `--- ${proc.name} (pid ${proc.child.pid}, exit ${JSON.stringify(proc.exit ?? 'running')}) ---\nstdout:\n${tail(proc.stdout)}\nstderr:\n${tail(proc.stderr)}`;
}

/** Polls `check` until it returns a value; fails with its last error, and early when `proc` exits. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, opts: { timeoutMs: number; proc?: Proc; intervalMs?: number }): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: unknown;
  for (;;) {
    if (opts.proc?.exit) throw new Error(`${opts.proc.name} exited while waiting for ${what}\n\n${processOutput(opts.proc)}`);
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) {
      const lastError = last instanceof Error ? ` (last error: ${last.message})` : '';
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}${lastError}${opts.proc ? `\n\n${processOutput(opts.proc)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}

export async function waitForExit(proc: Proc, timeoutMs: number): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${proc.name} did not exit within ${timeoutMs} ms\n\n${processOutput(proc)}`)), timeoutMs);
  });
  try {
    return await Promise.race([proc.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** SIGTERM, then SIGKILL if it does not exit within the grace period. */
export async function stopProcess(proc: Proc, graceMs = 15_000): Promise<void> {
  if (proc.exit) return;
  proc.child.kill('SIGTERM');
  await waitForExit(proc, graceMs).catch(async () => {
    proc.child.kill('SIGKILL');
    await waitForExit(proc, 5000).catch(() => undefined);
  });
}

export function freePort(): Promise<number> {
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
