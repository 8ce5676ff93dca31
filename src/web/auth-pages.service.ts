import { Injectable } from '@nestjs/common';
import { zodIssuesToDetails } from '../common/zod-validation';
import { AccountsService, WebUser } from './accounts.service';
import { PASSWORD_MIN_LENGTH, safeNext } from './web-auth.rules';
import { PageResult } from './web-render';
import { loginFormSchema, setupFormSchema } from './web.schemas';
import { WebError } from './web.error';

/** Sign-in, sign-out and the first-admin setup page, as pages and redirects. */
@Injectable()
export class AuthPagesService {
  constructor(private readonly accounts: AccountsService) {}

  loginPage(user: WebUser | undefined, next: unknown): PageResult {
    if (user) return { redirect: safeNext(next) };
    return { view: 'login', title: 'Sign in', data: { next: safeNext(next) } };
  }

  async login(body: unknown, ip: string): Promise<PageResult> {
    const form = loginFormSchema.safeParse(body);
    const email = form.success ? form.data.email : '';
    const next = safeNext(form.success ? form.data.next : undefined);
    try {
      if (!form.success || !email || !form.data.password) throw new WebError('sign_in_failed', 'Enter your email and password.');
      const { sessionToken } = await this.accounts.login(email, form.data.password, ip);
      return { redirect: next, session: sessionToken };
    } catch (e) {
      if (!(e instanceof WebError)) throw e;
      return { view: 'login', title: 'Sign in', status: e.code === 'sign_in_rate_limited' ? 429 : 401, data: { next, email, error: e.message } };
    }
  }

  async logout(token: string | undefined): Promise<PageResult> {
    await this.accounts.logout(token);
    return { redirect: '/app/login', session: null };
  }

  async setupPage(token: unknown): Promise<PageResult> {
    if (typeof token !== 'string' || !(await this.accounts.setupTokenValid(token))) throw invalidLink();
    return { view: 'setup', title: 'Create the first admin', data: { token, minLength: PASSWORD_MIN_LENGTH } };
  }

  async setup(body: unknown): Promise<PageResult> {
    const form = setupFormSchema.safeParse(body);
    const raw = (body ?? {}) as Record<string, unknown>;
    const again = (errors: { path: string; message: string }[]) => ({
      view: 'setup',
      title: 'Create the first admin',
      status: 400,
      data: { token: raw.token, email: raw.email, name: raw.name, minLength: PASSWORD_MIN_LENGTH, errors },
    });
    if (!form.success) return again(zodIssuesToDetails(form.error.issues));
    try {
      const { sessionToken } = await this.accounts.setup(form.data.token, form.data);
      return { redirect: '/app', session: sessionToken };
    } catch (e) {
      if (e instanceof WebError && e.code === 'invalid_input') return again(e.details);
      throw e;
    }
  }
}

const invalidLink = () => new WebError('setup_link_invalid', 'This setup link is not valid: it was used already, has expired, or an admin exists. Restart Kindling for a new link while there are no users, or run `npm run cli -- user create`.');
