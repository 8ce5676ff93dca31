import { Initial1763800000000 } from './1763800000000-initial';

/** In order. Each migration is written and reviewed by hand; the schema is never synchronised. */
export const MIGRATIONS = [Initial1763800000000];
