import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { WebUser } from './accounts.service';
import { SESSION_TTL_MS, newToken } from './web-auth.rules';
import { PRE_SESSION_COOKIE, SESSION_COOKIE, clearCookie, readSignedCookie, setSignedCookie } from './web-http';
import { WebRequest } from './web-session.guard';

export type NavKey = 'dashboard' | 'leads' | 'my-leads';

/** What a page service answers: a view to render, or where to go next (after a form). */
export type PageResult =
  | { view: string; title: string; nav?: NavKey; status?: number; data?: Record<string, unknown> }
  /** session: a new session token to set, or null to sign out */
  | { redirect: string; session?: string | null };

function navFor(user: WebUser | undefined, active: NavKey | undefined) {
  if (!user) return [];
  // a rep's start page is the queue; the dashboard counts every lead, so reps do not get it
  const items: { key: NavKey; href: string; label: string }[] =
    user.role === 'rep'
      ? [
          { key: 'my-leads', href: '/app/my-leads', label: 'My leads' },
          { key: 'leads', href: '/app/leads', label: 'All my leads' },
        ]
      : [
          { key: 'dashboard', href: '/app', label: 'Dashboard' },
          { key: 'leads', href: '/app/leads', label: 'Leads' },
        ];
  return items.map((i) => ({ ...i, current: i.key === active }));
}

/** Turns a PageResult into the HTTP answer: cookies, status, the layout around the page. */
@Injectable()
export class WebRenderer {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async send(req: WebRequest, reply: FastifyReply, result: PageResult): Promise<FastifyReply> {
    void reply.header('cache-control', 'no-store');
    if ('redirect' in result) {
      if (result.session) setSignedCookie(reply, this.config, SESSION_COOKIE, result.session, SESSION_TTL_MS / 1000);
      if (result.session === null) clearCookie(reply, this.config, SESSION_COOKIE);
      return reply.redirect(result.redirect, 303);
    }
    return this.page(req, reply, result);
  }

  async page(req: WebRequest, reply: FastifyReply, p: Extract<PageResult, { view: string }>): Promise<FastifyReply> {
    const user = req.webUser;
    let csrf = user?.csrf;
    if (!user) {
      // forms shown before sign-in carry the same random value as a signed cookie (double submit)
      csrf = readSignedCookie(req, PRE_SESSION_COOKIE) ?? newToken();
      setSignedCookie(reply, this.config, PRE_SESSION_COOKIE, csrf);
    }
    const html = await reply.viewAsync(`pages/${p.view}.hbs`, { ...p.data, title: p.title, user, csrf, nav: navFor(user, p.nav) });
    return reply.status(p.status ?? 200).type('text/html; charset=utf-8').send(html);
  }
}
