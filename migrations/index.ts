import { Initial1763800000000 } from './1763800000000-initial';
import { EmailPipeline1763800100000 } from './1763800100000-email-pipeline';
import { LeadIntelligence1763800200000 } from './1763800200000-lead-intelligence';
import { Nurture1763800300000 } from './1763800300000-nurture';

/** In order. Each migration is written and reviewed by hand; the schema is never synchronised. */
export const MIGRATIONS = [Initial1763800000000, EmailPipeline1763800100000, LeadIntelligence1763800200000, Nurture1763800300000];
