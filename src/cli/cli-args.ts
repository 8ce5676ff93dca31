/** `apikey create --name ci --json` → { command: ['apikey','create'], flags: { name: 'ci', json: true } } */
export function parseArgs(argv: string[]): { command: string[]; flags: Record<string, string | true> } {
  const command: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg.startsWith('--')) {
      const [key, inline] = arg.slice(2).split('=', 2);
      if (inline !== undefined) flags[key] = inline;
      else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) flags[key] = argv[++i];
      else flags[key] = true;
    } else {
      command.push(arg);
    }
  }
  return { command, flags };
}
