// Must load before any decorated class so Nest can read constructor parameter types.
import 'reflect-metadata';
import { BenchResult, Scenario, findScenario, formatTable, scenarios, toJsonLine } from './bench';

const USAGE = 'usage: npm run bench -- <scenario|all> [--json] [--rows N] [--seconds S]';

interface Args {
  target?: string;
  json: boolean;
  rows?: number;
  seconds?: number;
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') args.json = true;
    else if (arg === '--rows' || arg.startsWith('--rows=')) {
      const raw = arg === '--rows' ? argv[++i] : arg.slice('--rows='.length);
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`--rows takes a positive whole number, not "${raw ?? ''}"`);
      args.rows = n;
    } else if (arg === '--seconds' || arg.startsWith('--seconds=')) {
      const raw = arg === '--seconds' ? argv[++i] : arg.slice('--seconds='.length);
      const n = Number(raw);
      if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--seconds takes a positive number, not "${raw ?? ''}"`);
      args.seconds = n;
    } else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
    else if (args.target) throw new UsageError(`one scenario at a time (got "${args.target}" and "${arg}")`);
    else args.target = arg;
  }
  return args;
}

function listScenarios(): string {
  const all = scenarios();
  const width = Math.max(...all.map((s) => s.name.length), 'all'.length);
  return ['available scenarios:', ...all.map((s) => `  ${s.name.padEnd(width)}  ${s.description}`), `  ${'all'.padEnd(width)}  every scenario above`].join('\n');
}

async function main(): Promise<number> {
  const err = (message: string) => process.stderr.write(`${message}\n`);
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`${e.message}\n${USAGE}\n${listScenarios()}`);
    return 2;
  }

  const selected: Scenario[] | undefined = args.target === 'all' ? [...scenarios()] : args.target ? [findScenario(args.target)].filter((s) => s !== undefined) : undefined;
  if (!selected?.length) {
    err(`${args.target ? `unknown scenario "${args.target}"` : 'no scenario given'}\n${USAGE}\n${listScenarios()}`);
    return 2;
  }

  // With --json, stdout carries result lines only. Anything a library prints there (a stray
  // console.log, a logger defaulting to stdout) is sent to stderr instead.
  const stdout = process.stdout.write.bind(process.stdout);
  if (args.json) {
    const toStderr: typeof process.stdout.write = process.stderr.write.bind(process.stderr);
    process.stdout.write = toStderr;
    console.log = console.error;
    console.info = console.error;
  }

  const results: BenchResult[] = [];
  let failed = false;
  for (const scenario of selected) {
    err(`[bench] ${scenario.name}: ${scenario.description}`);
    try {
      const out = await scenario.run({ rows: args.rows, seconds: args.seconds, log: (m) => err(`[${scenario.name}] ${m}`) });
      results.push(...out);
      if (args.json) for (const r of out) stdout(`${toJsonLine(r)}\n`);
    } catch (e) {
      failed = true;
      err(`[bench] ${scenario.name} failed: ${(e as Error)?.stack ?? String(e)}`);
    }
  }
  if (!args.json && results.length) stdout(`\n${formatTable(results)}\n`);
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    // exitCode rather than exit(): stdout may be a pipe whose writes are still in flight
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`[bench] ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
