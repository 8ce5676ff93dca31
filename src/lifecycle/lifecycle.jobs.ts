import { z } from 'zod';
import { defineJob } from '../jobs/job-definition';

/** Applies a lead's pending activities and profile changes; keyed by lead so bursts coalesce. */
export const EVALUATE_LEAD = defineJob('lead.evaluate', z.object({ leadId: z.uuid() }), { attempts: 10, backoffMs: 500 });

/**
 * The same for many leads at once (an ingest request's, a sweep's): one job instead of one per
 * lead, evaluated in shared transactions.
 */
export const EVALUATE_LEADS = defineJob('leads.evaluate', z.object({ leadIds: z.array(z.uuid()).min(1).max(1000) }), { attempts: 10, backoffMs: 500 });
