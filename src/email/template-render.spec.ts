import { resolve } from 'node:path';
import { EmailError } from './email.error';
import { extractLinks } from './link-rewrite.rules';
import { SAMPLE_LEAD, sampleExtra } from './sample-context';
import { TemplateCatalog, loadTemplateCatalog } from './template-catalog';
import { TemplateCompiler } from './template-compiler';
import { RenderContext, renderTemplate } from './template-render';

const UNSUBSCRIBE = 'https://app.test/t/u/abc';
const context = (over: Partial<RenderContext> = {}): RenderContext => ({
  lead: SAMPLE_LEAD,
  extra: sampleExtra('https://app.test', new Date('2026-11-20T12:00:00Z')),
  links: { unsubscribe: UNSUBSCRIBE },
  ...over,
});

describe('renderTemplate', () => {
  let catalog: TemplateCatalog;
  const get = (name: string) => catalog.templates.get(name)!;
  beforeAll(async () => {
    catalog = await loadTemplateCatalog(resolve(__dirname, '../../templates'), TemplateCompiler.shared);
  });

  it('personalises subject, body and text, with the unsubscribe link in both parts', () => {
    const r = renderTemplate(get('close-takes-too-long'), context());
    expect(r.subject).toBe('How many days does your month-end close really take?');
    expect(r.preheader).toMatch(/^Most finance teams/);
    expect(r.html).toContain('Hi Jordan,');
    expect(r.html).toContain('at Northwind Logistics');
    expect(r.html).toContain(`href="${UNSUBSCRIBE}"`);
    expect(r.text).toContain('Hi Jordan,');
    expect(r.text).toContain(`Unsubscribe [${UNSUBSCRIBE}]`);
    expect(r.links).toEqual([
      'https://www.tallyworks.example/blog/continuous-close?utm_source=kindling&utm_medium=email&utm_campaign=close-pain-2026&utm_content=button',
      UNSUBSCRIBE,
    ]);
    expect(r.version).toBe(get('close-takes-too-long').info.version);
  });

  it('falls back when the lead has no first name or company', () => {
    const r = renderTemplate(get('close-takes-too-long'), context({ lead: { email: 'x@y.test', firstName: null, company: null } }));
    expect(r.html).toContain('Hi there,');
    expect(r.html).toContain('If the finance team works like most');
  });

  it('picks the persona variant for subject and preheader and the matching body branch', () => {
    const t = get('demo-invitation');
    const dm = renderTemplate(t, context({ persona: 'decision-maker' }));
    expect(dm.subject).toBe('What a 4-day close is worth to Northwind Logistics');
    expect(dm.html).toContain('the business case');
    expect(dm.html).not.toContain('your day-to-day');
    const user = renderTemplate(t, context({ persona: 'user' }));
    expect(user.subject).toBe('Your close checklist, minus the spreadsheet');
    expect(user.html).toContain('your day-to-day');
    expect(user.html).not.toContain('the business case');
    const none = renderTemplate(t, context({ persona: 'unknown-persona' }));
    expect(none.subject).toBe('See your own close on Tallyworks — 30 minutes');
    expect(none.html).toContain("What we'll cover</div>");
  });

  it('a variant that overrides only the preheader keeps the base subject', () => {
    const r = renderTemplate(get('whitepaper-cost-of-manual'), context({ persona: 'influencer' }));
    expect(r.subject).toBe('What manual reconciliation really costs (with a model for your numbers)');
    expect(r.preheader).toBe('Benchmarks by team size, and where automation pays back first.');
  });

  it('shows the webinar time in the reader\'s time zone', () => {
    const chicago = renderTemplate(get('webinar-faster-close'), context());
    expect(chicago.subject).toBe('Live Thursday, December 10: from a 12-day close to 4');
    expect(chicago.html).toContain('Thursday, December 10, 2026 at 11:00 AM CST');
    const berlin = renderTemplate(get('webinar-faster-close'), context({ lead: { ...SAMPLE_LEAD, timezone: 'Europe/Berlin', locale: 'de-DE' } }));
    expect(berlin.html).toContain('Donnerstag, 10. Dezember 2026 um 18:00 MEZ');
  });

  it('renders the rep notification from the assignment context, without an unsubscribe link', () => {
    const r = renderTemplate(get('rep-new-lead'), { lead: SAMPLE_LEAD, persona: 'decision-maker', extra: sampleExtra('https://app.test') });
    expect(r.subject).toBe('New A lead for you: Jordan Rivera at Northwind Logistics');
    expect(r.html).toContain('href="https://app.test/assignments/sample/accept"');
    expect(r.html).toContain('Requested a demo');
    expect(r.text).toContain('Score | 142');
    expect(r.text).toContain('Persona | decision-maker');
    expect(r.text).toContain('Accept lead [https://app.test/assignments/sample/accept]');
  });

  it('refuses to render a marketing email without an unsubscribe link', () => {
    expect(() => renderTemplate(get('case-study-brightwater'), context({ links: {} }))).toThrow(EmailError);
  });

  it('gives delivery a hook to rewrite links, in HTML and text alike, by index', () => {
    const r = renderTemplate(get('reconciliation-errors'), context(), { rewriteLink: (_url, i) => `https://app.test/t/c/tok${i}` });
    expect(r.links).toHaveLength(2);
    expect(r.links[0]).toMatch(/^https:\/\/www\.tallyworks\.example\/blog\/reconciliation-errors\?/);
    expect(r.html).toContain('href="https://app.test/t/c/tok0"');
    expect(r.html).toContain('href="https://app.test/t/c/tok1"');
    expect(r.html).not.toContain('tallyworks.example/blog');
    expect(r.text).toContain('[https://app.test/t/c/tok0]');
    expect(r.text).toContain('Unsubscribe [https://app.test/t/c/tok1]');
  });

  it('lists the same links a scan of the finished HTML finds, for every template', () => {
    for (const t of catalog.templates.values()) {
      const r = renderTemplate(t, context());
      expect({ name: t.info.name, links: r.links }).toEqual({ name: t.info.name, links: extractLinks(r.html) });
    }
  });

  it('keeps header values on one line whatever the data holds', () => {
    const r = renderTemplate(get('demo-invitation'), context({ persona: 'decision-maker', lead: { ...SAMPLE_LEAD, company: 'Evil\r\nBcc: x@y.test' } }));
    expect(r.subject).toBe('What a 4-day close is worth to Evil Bcc: x@y.test');
  });

  it('escapes lead data in HTML', () => {
    const r = renderTemplate(get('close-takes-too-long'), context({ lead: { ...SAMPLE_LEAD, firstName: '<script>x</script>' } }));
    expect(r.html).toContain('Hi &lt;script&gt;x&lt;/script&gt;,');
    expect(r.text).toContain('Hi <script>x</script>,');
  });
});
