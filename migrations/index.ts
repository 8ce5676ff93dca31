import { Initial1763800000000 } from './1763800000000-initial';
import { EmailPipeline1763800100000 } from './1763800100000-email-pipeline';
import { LeadIntelligence1763800200000 } from './1763800200000-lead-intelligence';
import { Nurture1763800300000 } from './1763800300000-nurture';
import { HandOff1763800400000 } from './1763800400000-hand-off';
import { InternalSends1763800450000 } from './1763800450000-internal-sends';
import { Webhooks1763800500000 } from './1763800500000-webhooks';
import { EvaluationBatching1763800600000 } from './1763800600000-evaluation-batching';
import { WebAccounts1763800700000 } from './1763800700000-web-accounts';

/** In order. Each migration is written and reviewed by hand; the schema is never synchronised. */
export const MIGRATIONS = [Initial1763800000000, EmailPipeline1763800100000, LeadIntelligence1763800200000, Nurture1763800300000, HandOff1763800400000, InternalSends1763800450000, Webhooks1763800500000, EvaluationBatching1763800600000, WebAccounts1763800700000];
