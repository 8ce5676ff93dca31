import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { Role } from './accounts.repository';
import { AccountsService, WebUser } from './accounts.service';
import { tokensEqual } from './web-auth.rules';
import { PRE_SESSION_COOKIE, SESSION_COOKIE, readSignedCookie } from './web-http';
import { WebError } from './web.error';

const ANONYMOUS = 'kindling:web-anonymous';
const ROLES = 'kindling:web-roles';

/** A page anyone may open (sign-in, first-admin setup); its forms use the pre-session CSRF cookie. */
export const Anonymous = (): MethodDecorator => SetMetadata(ANONYMOUS, true);
/** Only these roles; everyone else gets 404, so a page's existence is not revealed either. */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator => SetMetadata(ROLES, roles);

export type WebRequest = FastifyRequest & { webUser?: WebUser; body: unknown };

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Every /app route: the session from the signed cookie, the role, and on every POST the CSRF
 * token from the form (per session; before sign-in a signed double-submit cookie).
 */
@Injectable()
export class WebSessionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly accounts: AccountsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<WebRequest>();
    const user = await this.accounts.session(readSignedCookie(req, SESSION_COOKIE));
    req.webUser = user;
    const anonymous = this.reflector.getAllAndOverride<boolean>(ANONYMOUS, [context.getHandler(), context.getClass()]);
    const sent = formField(req.body, '_csrf');
    if (anonymous) {
      if (STATE_CHANGING.has(req.method) && !tokensEqual(sent, readSignedCookie(req, PRE_SESSION_COOKIE))) throw csrfFailed();
      return true;
    }
    if (!user) throw new WebError('sign_in_required', 'Please sign in');
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, [context.getHandler(), context.getClass()]);
    if (roles && !roles.includes(user.role)) throw new WebError('not_found', 'There is no such page');
    if (STATE_CHANGING.has(req.method) && !tokensEqual(sent, user.csrf)) throw csrfFailed();
    return true;
  }
}

function formField(body: unknown, name: string): string | undefined {
  const v = body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  return typeof v === 'string' ? v : undefined;
}

const csrfFailed = () => new WebError('csrf_failed', 'This form has expired or did not come from Kindling. Go back, reload the page and try again.');
