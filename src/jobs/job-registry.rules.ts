/**
 * What makes the job registry inconsistent: a job nobody handles, a job handled twice, a
 * handler for a job that does not exist. Any of these stops the boot.
 */
export function registryProblems(defined: string[], handlers: Map<string, string[]>): string[] {
  const problems: string[] = [];
  const known = new Set(defined);
  for (const [name, owners] of handlers) {
    if (!known.has(name)) problems.push(`handler ${owners[0]} names unknown job "${name}"`);
    if (owners.length > 1) problems.push(`job "${name}" has ${owners.length} handlers: ${owners.join(', ')}`);
  }
  for (const name of defined) if (!handlers.has(name)) problems.push(`job "${name}" has no handler`);
  return problems;
}
