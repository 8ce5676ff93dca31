import { createHandlebars, firstPresent, formatDate, formatNumber, withUtm } from './template.helpers';

const hb = createHandlebars();
const render = (source: string, context: object, data: object = { template: { name: 'welcome', utm: {} } }) => hb.compile(source)(context, { data });

describe('template helpers', () => {
  const at = new Date('2026-12-10T17:00:00Z');

  it('formats dates in the reader\'s locale and time zone, with styles', () => {
    expect(formatDate(at, { locale: 'en-US', timeZone: 'America/Chicago', style: 'datetime' })).toBe('Thursday, December 10, 2026 at 11:00 AM CST');
    expect(formatDate(at, { locale: 'de-DE', timeZone: 'Europe/Berlin' })).toBe('10. Dezember 2026');
    expect(formatDate('2026-12-10T17:00:00Z', { style: 'time', timeZone: 'Asia/Tokyo' })).toBe('2:00 AM GMT+9');
    expect(formatDate('not a date')).toBe('');
    expect(formatDate(at, { locale: 'xx-invalid-!!', timeZone: 'Mars/Olympus' })).toBe('December 10, 2026');
    expect(render('{{formatDate at "weekday"}}', { at, lead: { locale: 'fr-FR', timezone: 'Europe/Paris' } })).toBe('jeudi 10 décembre');
    expect(render('{{formatDate at locale="en-GB" timeZone="UTC"}}', { at, lead: { locale: 'fr-FR' } })).toBe('10 December 2026');
  });

  it('formats numbers and falls back for missing first names', () => {
    expect(formatNumber(1234567.5, 'de-DE')).toBe('1.234.567,5');
    expect(formatNumber('x')).toBe('');
    expect(firstPresent(null, '  ', undefined, 'there')).toBe('there');
    expect(render('Hi {{default lead.firstName "there"}}, {{upper lead.company}} {{lower "ABC"}}', { lead: { firstName: '', company: 'Acme' } })).toBe('Hi there, ACME abc');
    expect(render('Hi {{default lead.firstName "there"}}', { lead: { firstName: 'Ada' } })).toBe('Hi Ada');
  });

  it('adds UTM parameters: explicit ones win, defaults only fill gaps, other schemes untouched', () => {
    expect(withUtm('https://x.test/a?utm_source=partner&b=1', { utm_content: 'hero' }, { utm_source: 'kindling', utm_medium: 'email' })).toBe(
      'https://x.test/a?utm_source=partner&b=1&utm_medium=email&utm_content=hero',
    );
    expect(withUtm('mailto:a@b.test', { utm_content: 'x' })).toBe('mailto:a@b.test');
    expect(withUtm('https://x.test/?a=1&amp;b=2', {})).toBe('https://x.test/?a=1&b=2');
    const data = { template: { name: 'demo-invitation', utm: { campaign: 'q4-demo' } } };
    expect(render('{{link "https://x.test/p" utm_content="button"}}', {}, data)).toBe(
      'https://x.test/p?utm_source&#x3D;kindling&amp;utm_medium&#x3D;email&amp;utm_campaign&#x3D;q4-demo&amp;utm_content&#x3D;button',
    );
    expect(hb.compile('{{link "https://x.test/p"}}', { noEscape: true })({}, { data: { template: { name: 'welcome', utm: {} } } })).toBe(
      'https://x.test/p?utm_source=kindling&utm_medium=email&utm_campaign=welcome',
    );
  });

  it('branches on the persona with ifPersona, with else-chains', () => {
    const t = '{{#ifPersona "decision-maker"}}ROI{{else ifPersona "influencer" "user"}}how{{else}}generic{{/ifPersona}}';
    expect(render(t, { persona: 'decision-maker' })).toBe('ROI');
    expect(render(t, { persona: 'user' })).toBe('how');
    expect(render(t, { persona: null })).toBe('generic');
    expect(render('{{#each items}}{{#ifPersona "user"}}u{{/ifPersona}}{{/each}}', { persona: 'user', items: [1, 2] })).toBe('uu');
  });

  it('compares with eq and builds partial scopes', () => {
    expect(render('{{#if (eq lead.country "DE")}}de{{else}}other{{/if}}', { lead: { country: 'DE' } })).toBe('de');
    expect(render('{{#with (partialScope this label="Go")}}{{label}} {{lead.firstName}}{{/with}}', { lead: { firstName: 'Ada' } })).toBe('Go Ada');
  });
});
