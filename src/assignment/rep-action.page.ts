import type { AssignmentRow, HandoffLeadRow } from './assignments.repository';
import { RETURN_REASONS } from './assignment.rules';

const escape = (s: string | number | null | undefined) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export interface RepActionPage {
  lead: HandoffLeadRow;
  assignment: AssignmentRow;
  /** the link was used already, or the assignment is no longer waiting for this rep */
  closed: boolean;
  focus?: string;
  message?: string;
}

/**
 * The page behind the links in a rep's email. Opening it changes nothing (mail scanners open
 * links); only its forms act, once. Self-contained: no scripts, no external assets.
 */
export function renderRepActionPage(p: RepActionPage): string {
  const l = p.lead;
  const name = [l.first_name, l.last_name].filter(Boolean).join(' ') || l.email;
  const rows: [string, string | number | null][] = [
    ['Company', l.company],
    ['Title', l.job_title],
    ['Country', l.country],
    ['Email', l.email],
    ['Grade', l.grade],
    ['Persona', l.persona],
    ['Score', Number(l.score)],
    ['Status', p.assignment.status],
  ];
  const table = rows.map(([k, v]) => `<tr><th scope="row">${escape(k)}</th><td>${escape(v ?? '—')}</td></tr>`).join('');
  const reasons = RETURN_REASONS.map((r) => `<option value="${r}">${r.replace('-', ' ')}</option>`).join('');
  const accept = `<form method="post"><input type="hidden" name="action" value="accept"><button type="submit"${p.focus === 'accept' ? ' autofocus' : ''}>Accept lead</button></form>`;
  const ret = `<form method="post" class="return"><input type="hidden" name="action" value="return">
    <label for="reason">Why return it?</label><select id="reason" name="reason">${reasons}</select>
    <label for="note">Note (optional)</label><textarea id="note" name="note" rows="2" maxlength="2000"></textarea>
    <button type="submit" class="secondary"${p.focus === 'return' ? ' autofocus' : ''}>Return to marketing</button></form>`;
  const actions = p.closed ? `<p class="note">This link has been used, or the lead is no longer waiting for you.</p>` : `${p.assignment.status === 'pending' ? accept : ''}${ret}`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${escape(name)}: sales lead</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1a1a1a;line-height:1.5}
table{border-collapse:collapse;width:100%;margin:1rem 0}th{text-align:left;color:#52606d;font-weight:normal;padding:.25rem 1rem .25rem 0;width:35%}
label{display:block;margin-top:.6rem}select,textarea{font:inherit;width:100%;padding:.4rem;margin-top:.2rem}
form{margin:1rem 0}button{font:inherit;margin-top:.8rem;padding:.6rem 1.4rem;border:0;border-radius:.4rem;background:#0b5cad;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#102a43;border:1px solid #52606d}button:focus{outline:3px solid #1a73e8;outline-offset:2px}
.msg{padding:.6rem 1rem;background:#e3f2e1;border-radius:.4rem}.note{color:#52606d}</style></head><body>
<h1>${escape(name)}</h1>${p.message ? `<p class="msg" role="status">${escape(p.message)}</p>` : ''}<table>${table}</table>${actions}</body></html>`;
}
