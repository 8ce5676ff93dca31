import { ChildProcess, fork } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { SMTPServer } from 'smtp-server';

/**
 * A counting SMTP sink in its own process, so the receiving side does not take event-loop time
 * from the sender being measured. It parses nothing but the Message-ID header, which is enough
 * to tell a duplicate delivery from a new message.
 */
export interface SinkStats {
  messages: number;
  distinctMessageIds: number;
  bytes: number;
  /** CPU the sink process used since the last reset */
  cpuMs: number;
}

type ToSink = { type: 'stats' } | { type: 'reset' };
type FromSink = { type: 'ready'; port: number } | { type: 'stats'; stats: SinkStats };

/** Only the header block is kept; bodies are drained and counted. */
const HEADER_LIMIT = 64 * 1024;

export class SmtpCounter {
  private waiting: ((s: SinkStats) => void)[] = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.on('message', (m: FromSink) => {
      if (m.type === 'stats') this.waiting.shift()?.(m.stats);
    });
  }

  static start(): Promise<SmtpCounter> {
    return new Promise((resolve, reject) => {
      const child = fork(__filename, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`SMTP sink exited with ${code} before it was ready`)));
      child.once('message', (m: FromSink) => {
        if (m.type === 'ready') resolve(new SmtpCounter(child, m.port));
      });
    });
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}/?tls=off`;
  }

  stats(): Promise<SinkStats> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.send({ type: 'stats' });
    });
  }

  /** Forgets every message so far; the next stats() counts from zero. */
  async reset(): Promise<void> {
    this.send({ type: 'reset' });
    await this.stats();
  }

  /** Polls until `n` messages have arrived, or throws after `timeoutMs`. */
  async waitFor(n: number, timeoutMs: number): Promise<SinkStats> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.stats();
      if (s.messages >= n) return s;
      if (Date.now() > deadline) throw new Error(`SMTP sink got ${s.messages} of ${n} messages within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  stop(): Promise<void> {
    if (this.child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.removeAllListeners('exit');
      this.child.once('exit', () => resolve());
      this.child.kill();
    });
  }

  private send(m: ToSink): void {
    this.child.send(m);
  }
}

function messageId(header: string): string | undefined {
  return /^message-id:[ \t]*(\S.*?)\s*$/im.exec(header)?.[1];
}

function childMain(): void {
  let stats: Omit<SinkStats, 'cpuMs'> = { messages: 0, distinctMessageIds: 0, bytes: 0 };
  let seen = new Set<string>();
  let cpuSince = process.cpuUsage();
  const receive = (stream: Readable, done: (err?: Error | null) => void) => {
    let header = '';
    let inHeader = true;
    let bytes = 0;
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (!inHeader) return;
      header += chunk.toString('latin1');
      const end = header.indexOf('\r\n\r\n');
      if (end >= 0 || header.length > HEADER_LIMIT) {
        header = header.slice(0, end >= 0 ? end : HEADER_LIMIT);
        inHeader = false;
      }
    });
    stream.on('error', done);
    stream.on('end', () => {
      const id = messageId(header);
      if (id && !seen.has(id)) seen.add(id);
      stats = { messages: stats.messages + 1, distinctMessageIds: seen.size, bytes: stats.bytes + bytes };
      done();
    });
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData: (stream, _session, callback) => receive(stream, callback),
  });
  process.on('message', (m: ToSink) => {
    if (m.type === 'reset') {
      stats = { messages: 0, distinctMessageIds: 0, bytes: 0 };
      seen = new Set();
      cpuSince = process.cpuUsage();
    } else if (m.type === 'stats') {
      const cpu = process.cpuUsage(cpuSince);
      process.send?.({ type: 'stats', stats: { ...stats, cpuMs: (cpu.user + cpu.system) / 1000 } } satisfies FromSink);
    }
  });
  // the parent going away (crash, Ctrl-C) must not leave a listening sink behind
  process.on('disconnect', () => process.exit(0));
  server.listen(0, '127.0.0.1', () => {
    process.send?.({ type: 'ready', port: (server.server.address() as AddressInfo).port } satisfies FromSink);
  });
}

if (require.main === module) childMain();
