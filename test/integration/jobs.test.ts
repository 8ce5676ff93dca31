import { Injectable, Module } from '@nestjs/common';
import { z } from 'zod';
import { defineJob } from '../../src/jobs/job-definition';
import { JobHandler } from '../../src/jobs/job-handler.decorator';
import { JobQueue } from '../../src/jobs/job-queue';
import { TestApp, bootTestApp } from '../support/test-app';
import { eventually } from '../support/wait';

const ECHO = defineJob('test.echo', z.object({ n: z.number().int(), failTimes: z.number().int().default(0), sleepMs: z.number().default(0) }), {
  attempts: 4,
  backoffMs: 20,
});

@Injectable()
class EchoHandler {
  readonly calls: number[] = [];
  readonly done: number[] = [];

  @JobHandler(ECHO)
  async echo(payload: z.output<typeof ECHO.schema>): Promise<void> {
    this.calls.push(payload.n);
    if (this.calls.filter((n) => n === payload.n).length <= payload.failTimes) throw new Error(`planned failure for ${payload.n}`);
    if (payload.sleepMs) await new Promise((r) => setTimeout(r, payload.sleepMs));
    this.done.push(payload.n);
  }
}

@Module({ providers: [EchoHandler] })
class EchoModule {}

describe.each([
  ['BullMQ on Redis', true],
  ['in-process', false],
])('jobs (%s)', (_name, redis) => {
  let t: TestApp;
  let handler: EchoHandler;
  let jobs: JobQueue;
  let closed = false;

  beforeAll(async () => {
    t = await bootTestApp({ redis, imports: [EchoModule] });
    handler = t.app.get(EchoHandler);
    jobs = t.app.get(JobQueue);
    expect(jobs.mode).toBe(redis ? 'bullmq' : 'in-process');
  });
  afterAll(async () => {
    if (!closed) await t.close();
  });

  it('runs the registered handler with the validated payload', async () => {
    await jobs.enqueue(ECHO, { n: 1 });
    await eventually(() => handler.done.includes(1));
  });

  it('refuses an invalid payload when it is enqueued', async () => {
    await expect(jobs.enqueue(ECHO, { n: 'x' } as never)).rejects.toMatchObject({ code: 'job_invalid_payload' });
  });

  it('retries a failing job with backoff until it succeeds', async () => {
    await jobs.enqueue(ECHO, { n: 2, failTimes: 2 });
    await eventually(() => handler.done.includes(2));
    expect(handler.calls.filter((n) => n === 2)).toHaveLength(3);
  });

  it('gives up after the configured attempts', async () => {
    await jobs.enqueue(ECHO, { n: 3, failTimes: 99 });
    await eventually(() => handler.calls.filter((n) => n === 3).length === 4);
    await new Promise((r) => setTimeout(r, 300));
    expect(handler.calls.filter((n) => n === 3)).toHaveLength(4);
    expect(handler.done).not.toContain(3);
  });

  it('runs a job once when it is enqueued twice with the same id while pending', async () => {
    await jobs.enqueue(ECHO, { n: 4 }, { jobId: 'lead-42', delayMs: 200 });
    await jobs.enqueue(ECHO, { n: 4 }, { jobId: 'lead-42', delayMs: 200 });
    await eventually(() => handler.done.includes(4));
    await new Promise((r) => setTimeout(r, 400));
    expect(handler.calls.filter((n) => n === 4)).toHaveLength(1);
    // once done, the same id may run again (ids coalesce pending work, they do not block future work)
    await jobs.enqueue(ECHO, { n: 4 }, { jobId: 'lead-42' });
    await eventually(() => handler.done.filter((n) => n === 4).length === 2);
  });

  it('reports queue depths', async () => {
    const depths = await jobs.depths();
    expect(depths.map((d) => d.queue)).toContain('default');
  });

  it('lets jobs in flight finish before the app closes', async () => {
    await jobs.enqueue(ECHO, { n: 5, sleepMs: 700 });
    await eventually(() => handler.calls.includes(5));
    closed = true;
    await t.close();
    expect(handler.done).toContain(5);
  });
});
