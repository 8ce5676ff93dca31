import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { INestApplicationContext } from '@nestjs/common';
import { ApiKeysService } from './auth/api-keys.service';
import { parseArgs } from './cli/cli-args';
import { CliModule } from './cli/cli.module';
import { AppConfig, ConfigError, loadConfig } from './config/app-config';
import { migrate, openDataSource } from './database/data-source';
import { startEmbeddedPostgres } from './database/embedded-postgres';
import { formatSimulation } from './scoring/simulation.format';
import { ScoringError } from './scoring/scoring.error';
import { SimulationService } from './scoring/simulation.service';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAssignmentModel } from './assignment/assignment-model.schema';
import { formatProblem as formatModelProblem } from './common/yaml-model';
import { readWorkflowDir } from './workflows/workflow-registry.service';
import { formatPath, simulateWorkflow } from './workflows/workflow-simulation.rules';
import { LeadView } from './workflows/workflow.types';
import { loadTemplateCatalog } from './email/template-catalog';
import { TemplateCompiler } from './email/template-compiler';
import { formatProblem } from './email/template-source.rules';
import { userCommand } from './web/user-cli';
import { WebAccountsModule } from './web/web-accounts.module';

const HELP = `Kindling admin commands (npm run cli -- <command>)

  migrate                         apply pending database migrations
  migrate status                  list applied and pending migrations
  apikey create --name <name>     create an API key; it is printed once and stored hashed
  apikey list                     list keys (prefix, name, created, last used, revoked)
  apikey revoke <prefix|name>     revoke a key at once
  templates check                 validate every template in TEMPLATES_DIR (file:line errors)
  workflows check                 validate every workflow and policy.yaml in WORKFLOWS_DIR
  assignment check                validate WORKFLOWS_DIR/assignment.yaml (reps, rules, fallbacks)
  workflows simulate <key> [--lead lead.json] [--events events.json] [--start ISO]
                                  print the lead's path through the workflow with dates;
                                  events: [{type, occurredAt, properties?, step?}]; sends nothing
  scoring simulate [--scoring <file>] [--grading <file>] [--json]
                                  what-if: replay the stored history under candidate models
                                  and report who would move; nothing is written
  user create --email <e> --role admin|marketer|rep [--rep <key>] [--name <n>] [--password-stdin]
                                  a web app user (a rep user names its rep); the password
                                  is asked for on the terminal or read from stdin
  help                            this text

Works on DATABASE_URL, or on the embedded database in DATA_DIR, whether the engine runs or not.
templates needs no database.`;

type Command = (ctx: { config: AppConfig; databaseUrl: string; args: string[]; flags: Record<string, string | true> }) => Promise<number>;

const withApp = async <T>(config: AppConfig, databaseUrl: string, fn: (app: INestApplicationContext) => Promise<T>): Promise<T> => {
  const app = await NestFactory.createApplicationContext(CliModule.forRoot(config, databaseUrl), { logger: ['error'] });
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
};

/** Commands that only read files: they run without starting or reaching a database. */
const offlineCommands: Record<string, (ctx: { config: AppConfig; args: string[]; flags: Record<string, string | true> }) => Promise<number>> = {
  async workflows({ config, args, flags }) {
    const { templates } = await loadTemplateCatalog(config.templatesDir, TemplateCompiler.shared);
    const { workflows, problems, warnings } = await readWorkflowDir(config.workflowsDir, new Set(templates.keys()));
    if (args[0] === 'check') {
      for (const w of warnings) process.stderr.write(`warning: ${formatModelProblem(w)}\n`);
      for (const p of problems) process.stderr.write(`${formatModelProblem(p)}\n`);
      if (problems.length) return fail(`${problems.length} problem(s) in ${config.workflowsDir}`);
      out(`OK: ${workflows.length} workflows in ${config.workflowsDir}${warnings.length ? ` (${warnings.length} warning(s))` : ''}`);
      return 0;
    }
    if (args[0] === 'simulate') {
      const w = workflows.find((x) => x.def.key === args[1]);
      if (!w) return fail(`no valid workflow "${args[1] ?? ''}" in ${config.workflowsDir}${problems.length ? ' (run workflows check)' : ''}`);
      const lead = typeof flags.lead === 'string' ? (JSON.parse(readFileSync(flags.lead, 'utf8')) as Record<string, unknown>) : {};
      const events = typeof flags.events === 'string' ? (JSON.parse(readFileSync(flags.events, 'utf8')) as Record<string, unknown>[]) : [];
      const start = typeof flags.start === 'string' ? new Date(flags.start) : new Date();
      const view: LeadView = { score: 0, grade: null, persona: null, temperature: 'cold', stage: 'awareness', ...lead };
      const acts = events
        .map((e) => ({ type: String(e.type), occurredAt: new Date(String(e.occurredAt)), properties: (e.properties as Record<string, unknown>) ?? {}, stepId: (e.step as string) ?? null, classification: (e.classification as string) ?? 'human' }))
        .sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
      out(formatPath(simulateWorkflow(w.def, view, acts, start), (view.timezone as string) ?? null));
      return 0;
    }
    return fail(`unknown workflows command "${args[0] ?? ''}"\n\n${HELP}`);
  },

  async assignment({ config, args }) {
    if (args[0] !== 'check') return fail(`unknown assignment command "${args[0] ?? ''}"\n\n${HELP}`);
    const file = join(config.workflowsDir, 'assignment.yaml');
    // offline, only the file's own reps are known: a rule naming a rep made through the API fails here but loads in the engine
    const parsed = parseAssignmentModel(readFileSync(file, 'utf8'), file);
    if (!parsed.ok) {
      for (const p of parsed.problems) process.stderr.write(`${formatModelProblem(p)}\n`);
      return fail(`${parsed.problems.length} problem(s) in ${file}`);
    }
    out(`OK: ${parsed.model.reps.length} reps and ${parsed.model.routing.rules.length} rules in ${file}`);
    return 0;
  },

  async templates({ config, args }) {
    if (args[0] !== 'check') return fail(`unknown templates command "${args[0] ?? ''}"\n\n${HELP}`);
    const { templates, problems } = await loadTemplateCatalog(config.templatesDir, TemplateCompiler.shared);
    if (problems.length) {
      for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
      process.stderr.write(`${problems.length} problem(s) in ${config.templatesDir}\n`);
      return 1;
    }
    const emails = [...templates.values()].filter((t) => t.info.type === 'email').length;
    const pages = templates.size - emails;
    out(`OK: ${templates.size} templates (${emails} emails, ${pages} page${pages === 1 ? '' : 's'}) in ${config.templatesDir}`);
    return 0;
  },
};

const commands: Record<string, Command> = {
  async user({ config, databaseUrl, args, flags }) {
    return userCommand(args, flags, async (fn) => {
      const app = await NestFactory.createApplicationContext(WebAccountsModule.forCli(config, databaseUrl), { logger: ['error'] });
      try {
        return await fn(app);
      } finally {
        await app.close();
      }
    }, { out, fail });
  },

  async scoring({ config, databaseUrl, args, flags }) {
    if (args[0] !== 'simulate') return fail(`unknown scoring command "${args[0] ?? ''}"\n\n${HELP}`);
    const files = { scoring: typeof flags.scoring === 'string' ? flags.scoring : args[1], grading: typeof flags.grading === 'string' ? flags.grading : undefined };
    const candidate = { scoring: files.scoring && readFileSync(files.scoring, 'utf8'), grading: files.grading && readFileSync(files.grading, 'utf8') };
    if (candidate.scoring === undefined && candidate.grading === undefined) return fail('scoring simulate needs --scoring <file> and/or --grading <file>');
    return withApp(config, databaseUrl, async (app) => {
      try {
        const report = await app.get(SimulationService).simulate(candidate, { files });
        out(flags.json ? JSON.stringify(report, null, 2) : formatSimulation(report));
        return 0;
      } catch (e) {
        if (e instanceof ScoringError) return fail(e.message);
        throw e;
      }
    });
  },

  async migrate({ config, databaseUrl, args }) {
    const ds = await openDataSource(databaseUrl, 1);
    try {
      if (args[0] === 'status') {
        const pending = await ds.showMigrations();
        const applied = (await ds.query(`SELECT name FROM schema_migrations ORDER BY id`).catch(() => [])) as { name: string }[];
        for (const m of applied) out(`applied  ${m.name}`);
        out(pending ? 'pending migrations exist: run `npm run migrate`' : 'up to date');
        return 0;
      }
      const names = await migrate(ds);
      out(names.length ? `applied: ${names.join(', ')}` : `database is up to date (${config.database.url ? 'DATABASE_URL' : 'embedded'})`);
      return 0;
    } finally {
      await ds.destroy();
    }
  },

  async apikey({ config, databaseUrl, args, flags }) {
    return withApp(config, databaseUrl, async (app) => {
      const keys = app.get(ApiKeysService);
      switch (args[0]) {
        case 'create': {
          const name = typeof flags.name === 'string' ? flags.name.trim() : '';
          if (!name) return fail('apikey create needs --name <name>');
          const { key, apiKey } = await keys.create(name);
          if (flags.json) out(JSON.stringify({ key, id: apiKey.id, name, prefix: apiKey.prefix }));
          else out(`API key "${name}" created. It is shown only this once:\n\n  ${key}\n\nUse it as: Authorization: Bearer ${key}`);
          return 0;
        }
        case 'list': {
          const list = await keys.list();
          if (!list.length) out('no API keys yet: npm run cli -- apikey create --name <name>');
          for (const k of list) {
            out(`${k.prefix}  ${k.name.padEnd(24)} created ${k.createdAt.toISOString()}  last used ${k.lastUsedAt?.toISOString() ?? 'never'}${k.revokedAt ? `  REVOKED ${k.revokedAt.toISOString()}` : ''}`);
          }
          return 0;
        }
        case 'revoke': {
          if (!args[1]) return fail('apikey revoke needs the key prefix or name');
          const n = await keys.revoke(args[1]);
          if (n === 0) return fail(`no active key with prefix or name "${args[1]}"`);
          out(`revoked ${n} key(s)`);
          return 0;
        }
        default:
          return fail(`unknown apikey command "${args[0] ?? ''}"\n\n${HELP}`);
      }
    });
  },
};

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function fail(message: string): number {
  process.stderr.write(`${message}\n`);
  return 2;
}

async function main(): Promise<number> {
  const { command, flags } = parseArgs(process.argv.slice(2));
  const [name, ...args] = command;
  if (!name || name === 'help' || flags.help) {
    out(HELP);
    return name || flags.help ? 0 : 2;
  }
  const run = commands[name];
  const offline = offlineCommands[name];
  if (!run && !offline) return fail(`unknown command "${name}"\n\n${HELP}`);
  let config: AppConfig;
  try {
    config = { ...loadConfig(), logLevel: 'error' };
  } catch (e) {
    if (e instanceof ConfigError) return fail(e.message);
    throw e;
  }
  if (offline) return offline({ config, args, flags });
  const embedded = config.database.url ? undefined : await startEmbeddedPostgres(config.dataDir, { attach: true });
  try {
    return await run({ config, databaseUrl: config.database.url ?? embedded!.url, args, flags });
  } finally {
    await embedded?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${(e as Error)?.message ?? String(e)}\n`);
    process.exit(1);
  },
);
