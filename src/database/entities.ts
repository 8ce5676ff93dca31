import { ApiKey } from '../auth/api-key.entity';
import { Suppression } from '../delivery/suppression.entity';
import { Lead } from '../leads/lead.entity';

/** Every entity, listed once for the app and the CLI (no globbing of compiled paths). */
export const ENTITIES = [Lead, ApiKey, Suppression];
