import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';

/**
 * Embedded mode: PGlite (Postgres compiled to WASM) persisted under DATA_DIR and served on a
 * loopback TCP port by pglite-socket, so the app, the CLI and psql use the ordinary `pg` driver
 * and the very same SQL and migrations as on a real server.
 *
 * Only one process may own the data directory. The owner writes `postgres.json` (pid, port);
 * a second process (the CLI while the engine runs) connects to that port instead of opening
 * the files itself.
 */
export interface EmbeddedPostgres {
  url: string;
  /** true when this process opened the database files; false when it attached to a running owner */
  owner: boolean;
  stop(): Promise<void>;
}

interface StateFile {
  pid: number;
  port: number;
}

const DATABASE = 'postgres';

export async function startEmbeddedPostgres(dataDir: string, opts: { attach: boolean }): Promise<EmbeddedPostgres> {
  const stateFile = join(dataDir, 'postgres.json');
  const running = await runningOwner(stateFile);
  if (running) {
    const url = `postgres://postgres@127.0.0.1:${running.port}/${DATABASE}?sslmode=disable`;
    if (!opts.attach) {
      throw new Error(
        `Another Kindling process (pid ${running.pid}) already runs the embedded database in ${dataDir}. ` +
          'Stop it, use another DATA_DIR, or set DATABASE_URL.',
      );
    }
    return { url, owner: false, stop: async () => undefined };
  }

  const dbDir = join(dataDir, 'pgdata');
  mkdirSync(dbDir, { recursive: true });
  // pglite is ESM-only and uses top-level await, so it cannot be require()d: load it dynamically.
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const db = await PGlite.create({ dataDir: dbDir });
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 64 });
  await server.start();
  const port = Number(server.getServerConn().split(':').pop());
  writeFileSync(stateFile, JSON.stringify({ pid: process.pid, port } satisfies StateFile));

  let stopped = false;
  const release = () => {
    if (!existsSync(stateFile)) return;
    try {
      const state = JSON.parse(readFileSync(stateFile, 'utf8')) as StateFile;
      if (state.pid === process.pid) rmSync(stateFile);
    } catch {
      /* a half-written file belongs to nobody */
    }
  };
  process.once('exit', release);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/${DATABASE}?sslmode=disable`,
    owner: true,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await server.stop();
      await db.close();
      release();
    },
  };
}

async function runningOwner(stateFile: string): Promise<StateFile | undefined> {
  if (!existsSync(stateFile)) return undefined;
  let state: StateFile;
  try {
    state = JSON.parse(readFileSync(stateFile, 'utf8')) as StateFile;
  } catch {
    return undefined;
  }
  if (!isAlive(state.pid) || !(await portOpen(state.port))) {
    rmSync(stateFile, { force: true });
    return undefined;
  }
  return state;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}
