/** Pure helpers for the lead pages: names, links that keep the filters, readable timeline lines. */

export function leadName(first: string | null, last: string | null): string {
  return [first, last].filter(Boolean).join(' ');
}

type Params = Record<string, string | number | undefined>;

/** `/app/leads?…` with the given parameters, empty ones left out. */
export function leadsHref(params: Params): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return s ? `/app/leads?${s}` : '/app/leads';
}

export const SORT_COLUMNS = [
  { key: 'email', label: 'Lead' },
  { key: 'company', label: 'Company' },
  { key: 'score', label: 'Score' },
  { key: 'grade', label: 'Grade' },
  { key: 'activity', label: 'Last activity' },
  { key: 'created', label: 'Created' },
] as const;

/**
 * A header link per sortable column: clicking the current column flips the direction, another
 * column starts descending (highest score, best grade, newest first) except text, which starts A–Z.
 */
export function sortLinks(filters: Params, sort: string, dir: 'asc' | 'desc') {
  return Object.fromEntries(
    SORT_COLUMNS.map((c) => {
      const current = c.key === sort;
      const textual = c.key === 'email' || c.key === 'company';
      const nextDir = current ? (dir === 'asc' ? 'desc' : 'asc') : textual ? 'asc' : 'desc';
      return [c.key, { href: leadsHref({ ...filters, sort: c.key, dir: nextDir }), aria: current ? (dir === 'asc' ? 'ascending' : 'descending') : 'none', current }];
    }),
  );
}

/** Previous, next and a window of numbered pages around the current one. */
export function pageLinks(params: Params, page: number, pages: number, window = 2) {
  const href = (p: number) => leadsHref({ ...params, page: p === 1 ? undefined : p });
  const numbers: { n: number; href: string; current: boolean }[] = [];
  for (let p = Math.max(1, page - window); p <= Math.min(pages, page + window); p++) numbers.push({ n: p, href: href(p), current: p === page });
  return {
    pages,
    prev: page > 1 ? href(page - 1) : undefined,
    next: page < pages ? href(page + 1) : undefined,
    numbers: pages > 1 ? numbers : [],
  };
}

export interface TimelineInput {
  at: string;
  kind: 'activity' | 'score' | 'transition' | 'email';
  type: string;
  detail: Record<string, unknown>;
}

function str(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** One readable line per timeline entry; emails say which template and subject was sent. */
export function describeTimeline(entries: TimelineInput[], sends: Map<string, { template: string; subject: string | null; status: string }>) {
  return entries.map((e) => {
    const d = e.detail;
    const props = (d.properties ?? {}) as Record<string, unknown>;
    const send = typeof d.sendId === 'string' ? sends.get(d.sendId) : undefined;
    let title: string;
    let text = '';
    switch (e.kind) {
      case 'email':
        title = `Email ${e.type}`;
        text = `${str(d.subject) || '(no subject)'} · template ${str(d.template)}`;
        break;
      case 'score': {
        const points = Number(d.points);
        title = `Score ${points > 0 ? '+' : ''}${points} (${e.type})`;
        text = `${str(d.reason)} · ${str(d.before)} → ${str(d.after)}`;
        break;
      }
      case 'transition':
        title = `${e.type[0].toUpperCase()}${e.type.slice(1)}: ${str(d.from) || '–'} → ${str(d.to) || '–'}`;
        text = str(d.cause);
        break;
      default:
        title = e.type;
        text = [
          send ? `${send.subject ?? send.template}` : '',
          str(props.url ?? props.asset ?? props.pageCategory ?? props.reason ?? ''),
          d.classification && d.classification !== 'human' ? `by a machine (${str(d.classification)})` : '',
        ]
          .filter(Boolean)
          .join(' · ');
    }
    return { at: e.at, kind: e.kind, title, text };
  });
}
