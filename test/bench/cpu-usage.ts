import { readFileSync } from 'node:fs';
import { withClient } from './bench-app';

export interface CpuReading {
  selfMs: number;
  /** the part of selfMs spent in the kernel (syscalls: sockets, files) */
  selfSystemMs: number;
  postgresMs: number;
  backends: number;
}

/** Linux reports process CPU in clock ticks of 10 ms (USER_HZ 100 on every mainstream kernel config). */
const MS_PER_TICK = 10;

/**
 * CPU time spent by this process and by the Postgres backends serving one database, so a
 * scenario can say where its cost goes (wall time on a shared 2-core box says little).
 * Backends are found through pg_stat_activity; outside Linux the Postgres share reads as 0.
 */
export class CpuMeter {
  private constructor(
    private readonly pids: number[],
    private readonly selfStart: NodeJS.CpuUsage,
    private readonly backendStart: number,
  ) {}

  /** Call once the app's connection pool is warm: backends opened later are not counted. */
  static async start(databaseUrl: string, databaseName: string): Promise<CpuMeter> {
    const pids = await withClient(databaseUrl, async (c) =>
      (await c.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [databaseName])).rows.map((r) => r.pid),
    );
    return new CpuMeter(pids, process.cpuUsage(), backendCpuMs(pids));
  }

  read(): CpuReading {
    const self = process.cpuUsage(this.selfStart);
    return { selfMs: (self.user + self.system) / 1000, selfSystemMs: self.system / 1000, postgresMs: backendCpuMs(this.pids) - this.backendStart, backends: this.pids.length };
  }
}

function backendCpuMs(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // fields after the parenthesised command name: state is 3rd, utime 14th, stime 15th
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // the backend exited (idle timeout) or /proc is not there
    }
  }
  return ticks * MS_PER_TICK;
}
