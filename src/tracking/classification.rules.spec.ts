import { Hit, agentClass, classifyHit } from './classification.rules';

const browser = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15';
const base: Hit = { kind: 'click', method: 'GET', userAgent: browser, ip: '203.0.113.9', secondsSinceSent: 3600, distinctLinksClickedRecently: 1, linkCount: 4 };

describe('classifyHit', () => {
  it('takes an ordinary browser click an hour after delivery for a person', () => {
    expect(classifyHit(base)).toBe('human');
    expect(classifyHit({ ...base, kind: 'open' })).toBe('human');
  });

  it('spots Apple Mail Privacy Protection opens by address or bare user agent', () => {
    expect(classifyHit({ ...base, kind: 'open', ip: '17.58.100.2' })).toBe('apple-privacy-proxy');
    expect(classifyHit({ ...base, kind: 'open', ip: '::ffff:17.1.2.3' })).toBe('apple-privacy-proxy');
    expect(classifyHit({ ...base, kind: 'open', userAgent: 'Mozilla/5.0' })).toBe('apple-privacy-proxy');
  });

  it('spots the Gmail image proxy', () => {
    expect(classifyHit({ ...base, kind: 'open', userAgent: 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)' })).toBe('gmail-proxy');
  });

  it('takes HEAD requests, scanner agents and agentless hits for security scanners', () => {
    expect(classifyHit({ ...base, method: 'HEAD' })).toBe('security-scanner');
    expect(classifyHit({ ...base, userAgent: 'Mozilla/5.0 (compatible; Barracuda Sentinel)' })).toBe('security-scanner');
    expect(classifyHit({ ...base, userAgent: 'python-requests/2.31' })).toBe('security-scanner');
    expect(classifyHit({ ...base, userAgent: undefined })).toBe('security-scanner');
  });

  it('takes clicks seconds after delivery, or on every link at once, for scanners', () => {
    expect(classifyHit({ ...base, secondsSinceSent: 4 })).toBe('security-scanner');
    expect(classifyHit({ ...base, distinctLinksClickedRecently: 3 })).toBe('security-scanner');
    expect(classifyHit({ ...base, linkCount: 2, distinctLinksClickedRecently: 2 })).toBe('security-scanner');
    expect(classifyHit({ ...base, linkCount: 1, distinctLinksClickedRecently: 1 })).toBe('human');
  });

  it('does not apply click timing to opens', () => {
    expect(classifyHit({ ...base, kind: 'open', secondsSinceSent: 2 })).toBe('human');
  });
});

describe('agentClass', () => {
  it('sorts agents into the classes classifyHit needs', () => {
    expect(agentClass(browser)).toBe('browser');
    expect(agentClass('Mozilla/5.0 (via ggpht.com GoogleImageProxy)')).toBe('gmail-proxy');
    expect(agentClass(' Mozilla/5.0 ')).toBe('bare-mozilla');
    expect(agentClass('curl/8.5.0')).toBe('scanner');
    expect(agentClass('')).toBe('scanner');
    expect(agentClass(undefined)).toBe('scanner');
  });

  it('gives classifyHit the same answer whether the agent class is passed or derived', () => {
    const agents = [browser, 'Mozilla/5.0', 'GoogleImageProxy', 'okhttp/4.12', undefined];
    for (const userAgent of agents) {
      for (const kind of ['open', 'click'] as const) {
        for (const method of ['GET', 'HEAD']) {
          const hit = { ...base, kind, method, userAgent, ip: '17.0.0.1' };
          expect(classifyHit(hit, agentClass(userAgent))).toBe(classifyHit(hit));
        }
      }
    }
  });

  it('lets a bare Mozilla click through to the timing rules instead of calling it a proxy', () => {
    expect(classifyHit({ ...base, userAgent: 'Mozilla/5.0' })).toBe('human');
    expect(classifyHit({ ...base, userAgent: 'Mozilla/5.0', secondsSinceSent: 1 })).toBe('security-scanner');
  });
});
