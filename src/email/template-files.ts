import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, extname, join, relative, sep } from 'node:path';
import { SLUG_RE } from './template.schemas';
import { TemplateProblem } from './template-source.rules';

export type TemplateFileKind = 'email' | 'page' | 'layout' | 'partial';

export interface TemplateFile {
  kind: TemplateFileKind;
  /** file name without extension: how templates, layouts and partials are referred to */
  name: string;
  /** relative to the templates dir, with forward slashes */
  relPath: string;
  /** what problems show: relative to the working directory when inside it, else absolute */
  display: string;
  source: string;
}

const FOLDERS: Record<string, { kind: TemplateFileKind; ext: readonly string[] }> = {
  emails: { kind: 'email', ext: ['.mjml'] },
  pages: { kind: 'page', ext: ['.mjml'] },
  layouts: { kind: 'layout', ext: ['.mjml'] },
  partials: { kind: 'partial', ext: ['.mjml', '.hbs', '.html'] },
};

/**
 * Reads every template source under `dir`: emails/** and pages/** (any depth), layouts/ and
 * partials/. Names must be unique per namespace (emails and pages share one, since the API
 * addresses both by name); a duplicate is a problem on each copy.
 */
export async function readTemplateFiles(dir: string, cwd = process.cwd()): Promise<{ files: TemplateFile[]; problems: TemplateProblem[] }> {
  const display = (abs: string) => {
    const rel = relative(cwd, abs);
    return rel.startsWith('..') || rel === '' ? abs : rel.split(sep).join('/');
  };
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) return { files: [], problems: [{ file: display(dir), line: 1, message: 'the templates directory does not exist (TEMPLATES_DIR)' }] };

  const files: TemplateFile[] = [];
  const problems: TemplateProblem[] = [];
  const entries = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
  for (const entry of entries.sort((a, b) => join(a.parentPath, a.name).localeCompare(join(b.parentPath, b.name)))) {
    const abs = join(entry.parentPath, entry.name);
    const relPath = relative(dir, abs).split(sep).join('/');
    const [top, ...rest] = relPath.split('/');
    const folder = FOLDERS[top];
    const ext = extname(entry.name).toLowerCase();
    if (!folder || rest.length === 0) {
      if (ext === '.mjml') problems.push({ file: display(abs), line: 1, message: 'ignored: templates go in emails/, pages/, layouts/ or partials/' });
      continue;
    }
    if (!folder.ext.includes(ext)) continue;
    if ((folder.kind === 'layout' || folder.kind === 'partial') && rest.length > 1) {
      problems.push({ file: display(abs), line: 1, message: `${top}/ is flat: sub-folders are not read` });
      continue;
    }
    const name = basename(entry.name, extname(entry.name));
    if (!SLUG_RE.test(name)) {
      problems.push({ file: display(abs), line: 1, message: `the file name "${name}" must be kebab-case (a-z, 0-9, -): it is the ${folder.kind}'s name` });
      continue;
    }
    files.push({ kind: folder.kind, name, relPath, display: display(abs), source: await readFile(abs, 'utf8') });
  }

  const namespace = (k: TemplateFileKind) => (k === 'page' ? 'email' : k);
  const seen = new Map<string, TemplateFile>();
  for (const f of files) {
    const key = `${namespace(f.kind)}:${f.name}`;
    const first = seen.get(key);
    if (first) problems.push({ file: f.display, line: 1, message: `duplicate ${f.kind === 'page' || f.kind === 'email' ? 'template' : f.kind} name "${f.name}" (also ${first.display})` });
    else seen.set(key, f);
  }
  return { files: files.filter((f) => seen.get(`${namespace(f.kind)}:${f.name}`) === f), problems };
}
