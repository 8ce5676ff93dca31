import { INestApplicationContext } from '@nestjs/common';
import { AccountsService } from './accounts.service';
import { WebError } from './web.error';

type Flags = Record<string, string | true>;

/**
 * `user create --email <e> --role admin|marketer|rep [--rep <key>] [--name <n>] [--password-stdin]`:
 * the password is read from stdin with --password-stdin, else asked for on the terminal (hidden),
 * never taken as an argument (it would land in the shell history and the process list).
 */
export async function userCommand(
  args: string[],
  flags: Flags,
  withApp: (fn: (app: INestApplicationContext) => Promise<number>) => Promise<number>,
  io: { out: (s: string) => void; fail: (s: string) => number },
): Promise<number> {
  if (args[0] !== 'create') return io.fail(`unknown user command "${args[0] ?? ''}" (try: user create --email <e> --role <role>)`);
  const email = typeof flags.email === 'string' ? flags.email : '';
  const role = typeof flags.role === 'string' ? flags.role : '';
  if (!email || !role) return io.fail('user create needs --email <address> and --role admin|marketer|rep (and --rep <key> for a rep)');
  let password: string;
  if (flags['password-stdin']) password = (await readStdin()).replace(/\r?\n$/, '');
  else if (process.stdin.isTTY) password = await askHidden('Password: ');
  else return io.fail('no terminal to ask for the password: pipe it in with --password-stdin');
  return withApp(async (app) => {
    try {
      const user = await app.get(AccountsService).createUser({
        email,
        role: role as 'admin',
        name: typeof flags.name === 'string' ? flags.name : email.split('@')[0],
        password,
        repKey: typeof flags.rep === 'string' ? flags.rep : undefined,
      });
      io.out(`user ${user.email} (${user.role}) created; sign in at /app/login`);
      return 0;
    } catch (e) {
      if (e instanceof WebError) return io.fail(`${e.message}${e.details.length ? `: ${e.details.map((d) => `${d.path} ${d.message}`).join('; ')}` : ''}`);
      throw e;
    }
  });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function askHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    let value = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (s: string) => {
      for (const ch of s) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new Error('cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}
