import { z } from 'zod';
import { defineJob } from '../jobs/job-definition';

/** One delivery attempt of one stored send. Retries of SMTP 4xx are new delayed jobs, not BullMQ retries. */
export const SEND_EMAIL = defineJob('email.send', z.object({ sendId: z.uuid() }), { queue: 'delivery', attempts: 5, backoffMs: 2000 });
