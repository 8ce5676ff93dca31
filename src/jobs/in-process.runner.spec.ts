import { z } from 'zod';
import { InProcessJobQueue } from './in-process.runner';
import { JobDefinition } from './job-definition';

const def: JobDefinition = { name: 'spec.coalesce', schema: z.object({ n: z.number() }), queue: 'default', attempts: 1, backoffMs: 10 };

describe('InProcessJobQueue', () => {
  it('runs a job again when its id is enqueued while it runs, once, with the newest payload', async () => {
    const seen: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new InProcessJobQueue(async (_name, payload) => {
      seen.push((payload as { n: number }).n);
      if (seen.length === 1) await gate;
    }, 4);
    await q.enqueue(def, { n: 1 }, { jobId: 'lead-1' });
    await new Promise((r) => setImmediate(r));
    await q.enqueue(def, { n: 2 }, { jobId: 'lead-1' });
    await q.enqueue(def, { n: 3 }, { jobId: 'lead-1' });
    release();
    await new Promise((r) => setTimeout(r, 20));
    await q.onIdle();
    expect(seen).toEqual([1, 3]);
  });

  it('drops a repeat of a job that is still waiting', async () => {
    const seen: number[] = [];
    const q = new InProcessJobQueue(async (_name, payload) => void seen.push((payload as { n: number }).n), 1);
    await q.enqueue(def, { n: 1 }, { jobId: 'a', delayMs: 30 });
    await q.enqueue(def, { n: 2 }, { jobId: 'a', delayMs: 30 });
    await new Promise((r) => setTimeout(r, 80));
    expect(seen).toEqual([1]);
  });
});
