import { UnsubscribeView } from './unsubscribe.service';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A plain, self-contained page: it must work in any browser, with no scripts and no external assets. */
export function renderUnsubscribePage(view: UnsubscribeView, state: 'confirm' | 'done'): string {
  const body =
    state === 'done' || view.alreadyUnsubscribed
      ? `<h1>You are unsubscribed</h1><p><strong>${escape(view.maskedEmail)}</strong> will get no more marketing email from us.</p>`
      : `<h1>Unsubscribe?</h1><p>Stop marketing email to <strong>${escape(view.maskedEmail)}</strong>.</p>
         <form method="post"><input type="hidden" name="confirm" value="1"><button type="submit">Unsubscribe</button></form>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>Unsubscribe</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1a1a1a;line-height:1.5}
button{font:inherit;padding:.6rem 1.4rem;border:0;border-radius:.4rem;background:#b3261e;color:#fff;cursor:pointer}
button:focus{outline:3px solid #1a73e8;outline-offset:2px}</style></head><body>${body}</body></html>`;
}
