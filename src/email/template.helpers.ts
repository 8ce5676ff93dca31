import Handlebars from 'handlebars';
import { UtmDefaults } from './template.schemas';

/** What a render passes as Handlebars `data` (readable in templates as `@template.name`). */
export interface HelperData {
  template: { name: string; utm: UtmDefaults };
  links?: LinkState;
}

/**
 * One render's links. The HTML pass numbers every http(s) URL in document order and rewrites
 * it; the text pass then shows each URL as the HTML pass rewrote it.
 */
export interface LinkState {
  pass: 'html' | 'text';
  urls: string[];
  rewritten: Map<string, string>;
  rewrite?: (url: string, index: number) => string;
}

interface RootView {
  lead?: { locale?: string | null; timezone?: string | null };
  persona?: string | null;
}

/** What Handlebars passes as a helper's last argument (its own typing makes `data` any). */
interface Options {
  fn: (context: unknown) => string;
  inverse: (context: unknown) => string;
  hash: Record<string, unknown>;
  data?: { root?: RootView; template?: HelperData['template']; links?: LinkState };
}

const DEFAULT_LOCALE = 'en-US';
const DEFAULT_TIME_ZONE = 'UTC';

const DATE_STYLES: Record<string, Intl.DateTimeFormatOptions> = {
  date: { year: 'numeric', month: 'long', day: 'numeric' },
  short: { dateStyle: 'short' },
  medium: { dateStyle: 'medium' },
  weekday: { weekday: 'long', month: 'long', day: 'numeric' },
  time: { hour: 'numeric', minute: '2-digit', timeZoneName: 'short' },
  'short-datetime': { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' },
  datetime: { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' },
};
export const DATE_STYLE_NAMES = Object.keys(DATE_STYLES);

// Building an Intl formatter costs far more than using one; a send run reuses a handful
const dateFormatters = new Map<string, Intl.DateTimeFormat>();

/**
 * Formats a date for the reader: in their locale and time zone (lead.locale, lead.timezone)
 * unless the template says otherwise. Bad input renders as nothing rather than "Invalid Date".
 */
export function formatDate(value: unknown, opts: { style?: string; locale?: string | null; timeZone?: string | null } = {}): string {
  const date = value instanceof Date ? value : typeof value === 'string' || typeof value === 'number' ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) return '';
  const style = opts.style && DATE_STYLES[opts.style] ? opts.style : 'date';
  const locale = opts.locale || DEFAULT_LOCALE;
  const timeZone = opts.timeZone || DEFAULT_TIME_ZONE;
  const key = `${locale}|${timeZone}|${style}`;
  let formatter = dateFormatters.get(key);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat(locale, { ...DATE_STYLES[style], timeZone });
    } catch {
      formatter = new Intl.DateTimeFormat(DEFAULT_LOCALE, { ...DATE_STYLES[style], timeZone: DEFAULT_TIME_ZONE });
    }
    if (dateFormatters.size > 1000) dateFormatters.clear();
    dateFormatters.set(key, formatter);
  }
  return formatter.format(date);
}

export function formatNumber(value: unknown, locale?: string | null): string {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n)) return '';
  try {
    return new Intl.NumberFormat(locale || DEFAULT_LOCALE).format(n);
  } catch {
    return new Intl.NumberFormat(DEFAULT_LOCALE).format(n);
  }
}

/** The first value that is present: not null, undefined, or a blank string. */
export function firstPresent(...values: unknown[]): unknown {
  return values.find((v) => v !== null && v !== undefined && !(typeof v === 'string' && v.trim() === ''));
}

export type UtmParams = Partial<Record<'utm_source' | 'utm_medium' | 'utm_campaign' | 'utm_content' | 'utm_term', string>>;

/**
 * Adds UTM parameters to an http(s) URL. Explicit `params` win over what the URL has; `defaults`
 * only fill gaps. Other URLs (mailto:, anchors, not URLs at all) come back unchanged.
 */
export function withUtm(url: string, params: UtmParams, defaults: UtmParams = {}): string {
  const clean = url.trim().replace(/&amp;/g, '&');
  if (!/^https?:\/\//i.test(clean)) return url;
  let parsed: URL;
  try {
    parsed = new URL(clean);
  } catch {
    return url;
  }
  for (const [key, value] of Object.entries(defaults)) if (value && !parsed.searchParams.has(key)) parsed.searchParams.set(key, value);
  for (const [key, value] of Object.entries(params)) if (value) parsed.searchParams.set(key, value);
  return parsed.toString();
}

/** Text of a helper argument; objects render as nothing rather than "[object Object]". */
// The same few links are built for every recipient of a template; parsing each URL once is enough
const utmCache = new Map<string, string>();
const UTM_KEYS = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term'] as const;
function cachedUtm(url: string, params: UtmParams, defaults: UtmParams): string {
  let key = url;
  for (const k of UTM_KEYS) key += `\u0000${params[k] ?? ''}\u0000${defaults[k] ?? ''}`;
  let out = utmCache.get(key);
  if (out === undefined) {
    out = withUtm(url, params, defaults);
    if (utmCache.size > 10_000) utmCache.clear();
    utmCache.set(key, out);
  }
  return out;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '');

/** Splits Handlebars' helper arguments into the positional ones and the options object it appends. */
function split(args: unknown[]): [unknown[], Options] {
  return [args.slice(0, -1), args[args.length - 1] as Options];
}

const helpers: Record<string, (this: unknown, ...args: unknown[]) => unknown> = {
  /** {{formatDate webinar.startsAt "datetime" locale="de-DE" timeZone="Europe/Berlin"}} */
  formatDate(...args) {
    const [[value, style], options] = split(args);
    const lead = options.data?.root?.lead;
    const hash = options.hash as { style?: string; locale?: string; timeZone?: string };
    return formatDate(value, { style: hash.style ?? str(style), locale: hash.locale ?? lead?.locale, timeZone: hash.timeZone ?? lead?.timezone });
  },
  formatNumber(...args) {
    const [[value], options] = split(args);
    return formatNumber(value, (options.hash as { locale?: string }).locale ?? options.data?.root?.lead?.locale);
  },
  upper: (...args) => str(split(args)[0][0]).toUpperCase(),
  lower: (...args) => str(split(args)[0][0]).toLowerCase(),
  /** {{default lead.firstName "there"}}: the first present value */
  default: (...args) => firstPresent(...split(args)[0]) ?? '',
  /** {{link "https://…" utm_content="hero"}}: the URL with UTM parameters (defaults from the front matter's utm) */
  link(...args) {
    const [[url], options] = split(args);
    const template = options.data?.template;
    const utm = template?.utm ?? {};
    const defaults: UtmParams = {
      utm_source: utm.source ?? 'kindling',
      utm_medium: utm.medium ?? 'email',
      utm_campaign: utm.campaign ?? template?.name,
      utm_content: utm.content,
      utm_term: utm.term,
    };
    return cachedUtm(str(url), options.hash, defaults);
  },
  /** Internal: every <a href> of a compiled template calls this (see instrumentLinks). */
  trackedLink(...args) {
    const [parts, options] = split(args);
    const url = parts.map(str).join('').trim();
    const links = options.data?.links;
    if (!links || !/^https?:\/\//i.test(url)) return url;
    if (links.pass === 'text') return links.rewritten.get(url) ?? url;
    const index = links.urls.push(url) - 1;
    const out = links.rewrite ? links.rewrite(url, index) : url;
    if (!links.rewritten.has(url)) links.rewritten.set(url, out);
    return out;
  },
  /** {{#ifPersona "decision-maker" "influencer"}}…{{else}}…{{/ifPersona}} */
  ifPersona(this: unknown, ...args) {
    const [names, options] = split(args);
    const persona = options.data?.root?.persona;
    return persona && names.includes(persona) ? options.fn(this) : options.inverse(this);
  },
  /** {{#if (eq lead.country "DE")}} */
  eq: (...args) => {
    const [[a, b]] = split(args);
    return a === b;
  },
  /** Internal: the context of a partial called with key=value pairs (see composeTemplate). */
  partialScope(...args) {
    const [[context], options] = split(args);
    return { ...(typeof context === 'object' && context !== null ? context : {}), ...(options.hash as object) };
  },
};

export const HELPER_NAMES: readonly string[] = Object.keys(helpers);

/** A Handlebars environment of its own with Kindling's helpers, so nothing global is touched. */
export function createHandlebars(): typeof Handlebars {
  const hb = Handlebars.create();
  for (const [name, fn] of Object.entries(helpers)) hb.registerHelper(name, fn as Handlebars.HelperDelegate);
  return hb;
}
