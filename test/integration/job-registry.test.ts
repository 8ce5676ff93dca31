import { z } from 'zod';
import { defineJob } from '../../src/jobs/job-definition';
import { bootTestApp } from '../support/test-app';

// Defined and never handled: the app must refuse to boot (this file has its own module registry).
defineJob('test.orphan', z.object({}));

it('refuses to boot when a job has no handler', async () => {
  await expect(bootTestApp({ redis: false })).rejects.toThrow(/job "test.orphan" has no handler/);
});
