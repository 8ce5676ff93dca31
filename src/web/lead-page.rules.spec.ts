import { describeTimeline, leadName, leadsHref, pageLinks, sortLinks } from './lead-page.rules';

describe('lead page rules', () => {
  it('joins names and leaves missing parts out', () => {
    expect(leadName('Ada', 'Lovelace')).toBe('Ada Lovelace');
    expect(leadName(null, 'Lovelace')).toBe('Lovelace');
    expect(leadName(null, null)).toBe('');
  });

  it('keeps filters in links and drops empty ones', () => {
    expect(leadsHref({ temperature: 'hot', q: '', page: undefined, minScore: 0 })).toBe('/app/leads?temperature=hot&minScore=0');
    expect(leadsHref({})).toBe('/app/leads');
  });

  it('flips the current sort and starts other columns in their natural direction', () => {
    const s = sortLinks({ stage: 'mql' }, 'score', 'desc');
    expect(s.score).toEqual({ href: '/app/leads?stage=mql&sort=score&dir=asc', aria: 'descending', current: true });
    expect(s.email.href).toBe('/app/leads?stage=mql&sort=email&dir=asc');
    expect(s.grade.href).toBe('/app/leads?stage=mql&sort=grade&dir=desc');
    expect(s.grade.aria).toBe('none');
  });

  it('numbers pages around the current one', () => {
    const p = pageLinks({ sort: 'score', dir: 'desc' }, 5, 9);
    expect(p.numbers.map((n) => n.n)).toEqual([3, 4, 5, 6, 7]);
    expect(p.numbers.find((n) => n.current)?.n).toBe(5);
    expect(p.prev).toBe('/app/leads?sort=score&dir=desc&page=4');
    expect(p.next).toBe('/app/leads?sort=score&dir=desc&page=6');
    expect(pageLinks({}, 2, 2).prev).toBe('/app/leads');
    expect(pageLinks({}, 1, 1)).toEqual({ pages: 1, prev: undefined, next: undefined, numbers: [] });
  });

  it('describes timeline entries', () => {
    const sends = new Map([['s1', { template: 'ebook', subject: 'Your playbook', status: 'sent' }]]);
    const lines = describeTimeline(
      [
        { at: 't1', kind: 'activity', type: 'email.opened', detail: { sendId: 's1', classification: 'apple-privacy-proxy', properties: {} } },
        { at: 't2', kind: 'activity', type: 'page.visited', detail: { properties: { url: 'https://x.test/pricing' }, classification: null } },
        { at: 't3', kind: 'score', type: 'total', detail: { points: 10, before: 5, after: 15, reason: 'downloaded the ebook' } },
        { at: 't4', kind: 'transition', type: 'temperature', detail: { from: 'cold', to: 'warm', cause: 'score' } },
        { at: 't5', kind: 'email', type: 'sent', detail: { template: 'ebook', subject: 'Your playbook' } },
      ],
      sends,
    );
    expect(lines.map((l) => [l.title, l.text])).toEqual([
      ['email.opened', 'Your playbook · by a machine (apple-privacy-proxy)'],
      ['page.visited', 'https://x.test/pricing'],
      ['Score +10 (total)', 'downloaded the ebook · 5 → 15'],
      ['Temperature: cold → warm', 'score'],
      ['Email sent', 'Your playbook · template ebook'],
    ]);
  });
});
