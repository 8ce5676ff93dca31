import { RenderContext, TemplateLead } from './template-render';

/** Who previews and boot checks render for when no lead is given: a plausible mid-market buyer. */
export const SAMPLE_LEAD: TemplateLead = {
  id: '01939f5e-0000-7000-8000-000000000001',
  email: 'jordan.rivera@northwind.example',
  firstName: 'Jordan',
  lastName: 'Rivera',
  company: 'Northwind Logistics',
  jobTitle: 'VP Finance',
  industry: 'Logistics',
  companySize: 850,
  country: 'US',
  timezone: 'America/Chicago',
  locale: 'en-US',
  attributes: { erp: 'NetSuite', entities: 6 },
};

/**
 * The top-level values the sales-rep notification (and any template using `extra`) reads.
 * Previews of real leads use them too, so a notification preview shows a complete layout.
 */
export function sampleExtra(publicUrl: string, now = new Date()): Record<string, unknown> {
  const ago = (minutes: number) => new Date(now.getTime() - minutes * 60_000);
  return {
    score: 142,
    grade: 'A',
    stageLabel: 'Sales-ready',
    reasons: [
      { points: 40, reason: 'Requested a demo' },
      { points: 25, reason: 'Viewed the pricing page 3 times this week' },
      { points: 20, reason: 'Attended the "Close in 4 days" webinar' },
    ],
    activities: [
      { at: ago(35), label: 'Clicked "Book a demo" in Demo invitation' },
      { at: ago(60 * 5), label: 'Visited /pricing' },
      { at: ago(60 * 26), label: 'Downloaded The Modern Close Playbook' },
      { at: ago(60 * 24 * 4), label: 'Opened Reconciliation errors email' },
    ],
    rep: { firstName: 'Sam', lastName: 'Okafor', email: 'sam.okafor@tallyworks.example' },
    assignment: {
      acceptUrl: `${publicUrl}/assignments/sample/accept`,
      returnUrl: `${publicUrl}/assignments/sample/return`,
      leadUrl: `${publicUrl}/leads/sample`,
      slaHours: 4,
      dueAt: new Date(now.getTime() + 4 * 3_600_000),
    },
  };
}

export function sampleLinks(publicUrl: string): NonNullable<RenderContext['links']> {
  return { unsubscribe: `${publicUrl}/t/u/preview` };
}

export function sampleContext(publicUrl: string, persona?: string): RenderContext {
  return { lead: SAMPLE_LEAD, persona, extra: sampleExtra(publicUrl), links: sampleLinks(publicUrl) };
}
