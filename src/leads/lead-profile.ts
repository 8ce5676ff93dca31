/** The snake_case columns of a raw `leads` row that make up the profile. */
export interface LeadProfileRow {
  email: string;
  first_name: string | null;
  last_name: string | null;
  company: string | null;
  job_title: string | null;
  industry: string | null;
  company_size: number | null;
  country: string | null;
  timezone: string | null;
  locale: string | null;
  source: string | null;
  attributes: Record<string, unknown>;
  consent: boolean | null;
}

/** The profile as rules read it (scoring `lead.x`, grading, workflow conditions), from a raw row. */
export function leadProfile(r: LeadProfileRow) {
  return {
    email: r.email,
    firstName: r.first_name,
    lastName: r.last_name,
    company: r.company,
    jobTitle: r.job_title,
    industry: r.industry,
    companySize: r.company_size,
    country: r.country,
    timezone: r.timezone,
    locale: r.locale,
    source: r.source,
    attributes: r.attributes,
    consent: r.consent,
  };
}
