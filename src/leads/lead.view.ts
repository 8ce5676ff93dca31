import { Lead } from './lead.entity';
import { LeadView } from './lead.schemas';

export function toLeadView(l: Lead): LeadView {
  return {
    id: l.id,
    email: l.email,
    firstName: l.firstName,
    lastName: l.lastName,
    company: l.company,
    jobTitle: l.jobTitle,
    industry: l.industry,
    companySize: l.companySize,
    country: l.country,
    timezone: l.timezone,
    locale: l.locale,
    source: l.source,
    attributes: l.attributes,
    consent: l.consent,
    unsubscribedAt: l.unsubscribedAt?.toISOString() ?? null,
    score: l.score,
    scores: l.scores,
    grade: l.grade,
    persona: l.persona,
    stage: l.stage,
    temperature: l.temperature,
    ownerId: l.ownerId,
    lastActivityAt: l.lastActivityAt?.toISOString() ?? null,
    createdAt: l.createdAt.toISOString(),
    updatedAt: l.updatedAt.toISOString(),
  };
}
