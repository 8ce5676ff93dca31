import { z } from 'zod';

export const handoffQuerySchema = z
  .object({
    from: z.iso.datetime({ offset: true }).or(z.iso.date()).optional().describe('start (default: 30 days ago)'),
    to: z.iso.datetime({ offset: true }).or(z.iso.date()).optional().describe('end, exclusive (default: now)'),
    period: z.enum(['day', 'week', 'month']).default('week'),
    by: z.enum(['none', 'rule', 'rep', 'source', 'persona']).default('none').describe('group each period by this'),
  })
  .strict()
  .refine((q) => !q.from || !q.to || new Date(q.from) < new Date(q.to), { message: 'from must be before to', path: ['from'] });
export type HandoffQuery = z.output<typeof handoffQuerySchema>;
