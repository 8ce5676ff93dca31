import { Inject, Injectable } from '@nestjs/common';
import { uuidv7 } from '../common/ids';
import { zodIssuesToDetails } from '../common/zod-validation';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TransactionService } from '../database/transaction.service';
import { AccountsRepository, Role, SessionUserRow, UserRow } from './accounts.repository';
import {
  DUMMY_HASH,
  LOGIN_LIMITS,
  SESSION_TTL_MS,
  SETUP_TOKEN_TTL_MS,
  csrfToken,
  hashPassword,
  hashToken,
  loginBlocked,
  newToken,
  verifyPassword,
} from './web-auth.rules';
import { WebError } from './web.error';
import { NewUserInput, newUserSchema } from './web.schemas';

/** Who is signed in, as pages and guards see it. */
export interface WebUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  repId: string | null;
  csrf: string;
}

const toWebUser = (u: SessionUserRow): WebUser => ({ id: u.id, email: u.email, name: u.name, role: u.role, repId: u.rep_id, csrf: csrfToken(u.csrf_secret) });

/**
 * Accounts of the web app: users, sign-in with a rate limit, sessions, and the one-time link
 * that creates the first admin.
 */
@Injectable()
export class AccountsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tx: TransactionService,
    private readonly accounts: AccountsRepository,
  ) {}

  /** A fresh one-time link while there are no users; undefined once someone exists. */
  async issueSetupLink(): Promise<string | undefined> {
    if ((await this.accounts.countUsers()) > 0) return undefined;
    const token = newToken();
    await this.accounts.insertSetupToken(hashToken(token), new Date(Date.now() + SETUP_TOKEN_TTL_MS));
    return `${this.config.publicUrl}/app/setup?token=${token}`;
  }

  async setupTokenValid(token: string): Promise<boolean> {
    return (await this.accounts.countUsers()) === 0 && (await this.accounts.setupTokenValid(hashToken(token)));
  }

  /** Creates the first admin and signs them in. The token is spent in the same transaction. */
  async setup(token: string, input: { email: string; name: string; password: string }): Promise<{ sessionToken: string }> {
    const user = await this.tx.run(async () => {
      await this.accounts.lockUsers();
      if ((await this.accounts.countUsers()) > 0 || !(await this.accounts.useSetupToken(hashToken(token)))) {
        throw new WebError('setup_link_invalid', 'This setup link was used already or has expired. Restart Kindling for a new one, or use `npm run cli -- user create`.');
      }
      return this.insert({ ...input, role: 'admin' });
    });
    return { sessionToken: await this.openSession(user.id) };
  }

  /** For the CLI and admins. A rep user names its rep by key. */
  async createUser(input: NewUserInput): Promise<UserRow> {
    return this.tx.run(async () => {
      await this.accounts.lockUsers();
      return this.insert(input);
    });
  }

  async login(email: string, password: string, ip: string): Promise<{ sessionToken: string; user: UserRow }> {
    const since = new Date(Date.now() - LOGIN_LIMITS.windowMs);
    const blocked = loginBlocked(await this.accounts.failureCounts(email, ip, since));
    if (blocked) throw new WebError('sign_in_rate_limited', blocked);
    const user = await this.accounts.findByEmail(email);
    // verify against a dummy hash too, so an unknown address takes as long as a wrong password
    const ok = await verifyPassword(password, user?.password_hash ?? DUMMY_HASH);
    if (!user || !ok) {
      await this.accounts.recordFailure(email, ip);
      throw new WebError('sign_in_failed', 'That email and password do not match an account.');
    }
    await this.accounts.clearFailures(email);
    await this.accounts.touchLogin(user.id);
    await this.accounts.prune(since);
    return { sessionToken: await this.openSession(user.id), user };
  }

  async session(token: string | undefined): Promise<WebUser | undefined> {
    if (!token) return undefined;
    const row = await this.accounts.sessionUser(hashToken(token));
    return row ? toWebUser(row) : undefined;
  }

  async logout(token: string | undefined): Promise<void> {
    if (token) await this.accounts.deleteSession(hashToken(token));
  }

  private async openSession(userId: string): Promise<string> {
    const token = newToken();
    await this.accounts.insertSession({ id: hashToken(token), userId, csrfSecret: newToken(), expiresAt: new Date(Date.now() + SESSION_TTL_MS) });
    return token;
  }

  private async insert(raw: NewUserInput): Promise<UserRow> {
    const parsed = newUserSchema.safeParse(raw);
    if (!parsed.success) throw new WebError('invalid_input', 'Invalid user', zodIssuesToDetails(parsed.error.issues));
    const input = parsed.data;
    if (await this.accounts.findByEmail(input.email)) throw new WebError('user_exists', `A user with the email ${input.email} exists already`, [{ path: 'email', message: 'is taken' }]);
    let repId: string | null = null;
    if (input.role === 'rep') {
      if (!input.repKey) throw new WebError('invalid_input', 'A rep user needs the key of its rep (--rep <key>)', [{ path: 'rep', message: 'is required for role rep' }]);
      repId = (await this.accounts.repIdByKey(input.repKey)) ?? null;
      if (!repId) throw new WebError('rep_not_found', `No rep with key ${input.repKey}`, [{ path: 'rep', message: 'is not a rep key' }]);
    } else if (input.repKey) {
      throw new WebError('invalid_input', 'Only rep users are linked to a rep', [{ path: 'rep', message: 'is only for role rep' }]);
    }
    return this.accounts.insertUser({ id: uuidv7(), email: input.email, name: input.name, password_hash: await hashPassword(input.password), role: input.role, rep_id: repId });
  }
}
