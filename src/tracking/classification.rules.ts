/**
 * Who is behind an open or a click. Only `human` counts for scoring; reports show all four.
 * Privacy proxies and link scanners fetch mail content without a person reading it, so
 * counting them would inflate engagement (Apple Mail Privacy Protection alone "opens" most
 * mail delivered to Apple Mail users).
 */
export type HitClass = 'human' | 'apple-privacy-proxy' | 'gmail-proxy' | 'security-scanner';

export interface Hit {
  kind: 'open' | 'click';
  method: string;
  userAgent: string | undefined;
  ip: string | undefined;
  /** seconds between the send being accepted by the SMTP server and this hit; undefined if unknown */
  secondsSinceSent: number | undefined;
  /** distinct links of the same message clicked in the last few seconds, this one included */
  distinctLinksClickedRecently: number;
  /** how many tracked links the message has */
  linkCount: number;
}

const SCANNER_UA = [
  /bot\b|crawler|spider|slurp/i,
  /barracuda|mimecast|proofpoint|symantec|messagelabs|trend ?micro|sophos|fortinet|forcepoint|cisco|ironport|zscaler|paloalto|checkpoint|safelinks|microsoft office protection|avanan|agari|abnormal/i,
  /python-requests|python-urllib|curl\/|wget\/|go-http-client|java\/|okhttp|libwww|httpclient|node-fetch|axios|headless/i,
];

/** Apple's own address block (17.0.0.0/8) carries Mail Privacy Protection prefetches. */
function isAppleAddress(ip: string | undefined): boolean {
  if (!ip) return false;
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return /^17\./.test(v4);
}

/**
 * What the user agent alone says. Split from `classifyHit` because it is the costly part
 * (case-insensitive expressions over the whole string) and depends on nothing else, so callers
 * may memoise it per agent.
 */
export type AgentClass = 'gmail-proxy' | 'bare-mozilla' | 'scanner' | 'browser';

export function agentClass(userAgent: string | undefined): AgentClass {
  const ua = userAgent ?? '';
  if (/GoogleImageProxy|ggpht\.com/i.test(ua)) return 'gmail-proxy';
  const trimmed = ua.trim();
  if (trimmed === 'Mozilla/5.0') return 'bare-mozilla';
  if (trimmed === '' || SCANNER_UA.some((re) => re.test(ua))) return 'scanner';
  return 'browser';
}

/** `agent` defaults to `agentClass(hit.userAgent)`; pass a memoised one to skip the expressions. */
export function classifyHit(hit: Hit, agent: AgentClass = agentClass(hit.userAgent)): HitClass {
  if (hit.method.toUpperCase() === 'HEAD') return 'security-scanner';
  if (agent === 'gmail-proxy') return 'gmail-proxy';
  if (hit.kind === 'open' && (isAppleAddress(hit.ip) || agent === 'bare-mozilla')) return 'apple-privacy-proxy';
  if (agent === 'scanner') return 'security-scanner';
  if (hit.kind === 'click') {
    // link scanners follow links within seconds of delivery, and often every link at once
    if (hit.secondsSinceSent !== undefined && hit.secondsSinceSent < 10) return 'security-scanner';
    if (hit.linkCount >= 2 && hit.distinctLinksClickedRecently >= Math.min(hit.linkCount, 3)) return 'security-scanner';
  }
  return 'human';
}
