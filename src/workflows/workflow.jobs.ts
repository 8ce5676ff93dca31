import { z } from 'zod';
import { defineJob } from '../jobs/job-definition';

/** Runs one due enrollment until it waits or ends. Keyed by enrollment so a repeat is a no-op. */
export const RUN_ENROLLMENT = defineJob('workflow.run', z.object({ enrollmentId: z.uuid() }), { attempts: 8, backoffMs: 1000 });
