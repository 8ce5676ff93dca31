import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

/**
 * With BENCH_CPU_PROFILE=<dir>, records a V8 CPU profile of this process while `work` runs and
 * writes it to <dir>/<label>.cpuprofile (open it in Chrome DevTools or speedscope). Scoped to one
 * phase because a whole-run profile (node --cpu-prof) mixes boot, seeding and the baseline in.
 */
export async function profiled<T>(label: string, work: () => Promise<T>, log: (m: string) => void): Promise<T> {
  const dir = process.env.BENCH_CPU_PROFILE;
  if (!dir) return work();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    const file = join(dir, `${label}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
    log(`CPU profile written to ${file}`);
  }
}
