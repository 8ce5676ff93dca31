import Handlebars from 'handlebars';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const dateFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
const numberFormat = new Intl.NumberFormat('en-GB');

/**
 * The web app's own Handlebars instance (the email templates keep theirs): small formatting
 * helpers and every file in views/partials as a partial by its name.
 */
export function createViewEngine(viewsDir: string): typeof Handlebars {
  const hbs = Handlebars.create();
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hbs.registerHelper('selected', (a: string | number | undefined, b: string | number | undefined) => (a !== undefined && String(a) === String(b) ? 'selected' : ''));
  hbs.registerHelper('date', (v: string | Date | null | undefined) => (v ? `${dateFormat.format(new Date(v))} UTC` : '–'));
  hbs.registerHelper('num', (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? numberFormat.format(v) : '–'));
  hbs.registerHelper('pct', (v: unknown) => (typeof v === 'number' ? `${Math.round(v * 1000) / 10}%` : '–'));
  hbs.registerHelper('signed', (v: unknown) => (typeof v === 'number' && v > 0 ? `+${v}` : String(v)));
  const partials = join(viewsDir, 'partials');
  for (const file of readdirSync(partials).filter((f) => f.endsWith('.hbs'))) {
    hbs.registerPartial(basename(file, '.hbs'), readFileSync(join(partials, file), 'utf8'));
  }
  return hbs;
}
