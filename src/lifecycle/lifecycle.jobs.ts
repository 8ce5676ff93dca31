import { z } from 'zod';
import { defineJob } from '../jobs/job-definition';

/** Applies a lead's pending activities and profile changes; keyed by lead so bursts coalesce. */
export const EVALUATE_LEAD = defineJob('lead.evaluate', z.object({ leadId: z.uuid() }), { attempts: 10, backoffMs: 500 });

