export interface ParsedArgs {
  command?: string;
  subcommand?: string;
  positional: string[];
  flags: Set<string>;
  values: Map<string, string[]>;
}

// Options that take a value, by long name; short aliases map onto them.
const VALUED = new Set(['tag', 'build-arg', 'file', 'username', 'password', 'format', 'platform', 'progress', 'label', 'target', 'cache-from', 'network', 'output']);
const SHORT: Record<string, string> = { t: 'tag', f: 'file', u: 'username', p: 'password', q: 'quiet', v: 'version' };
const WITH_SUBCOMMANDS = new Set(['image', 'buildx']);

/** Parses docker-style arguments: `--opt value`, `--opt=value`, `-t value`, repeated options. */
export function parseDockerArgs(argv: string[]): ParsedArgs {
  const out: ParsedArgs = { positional: [], flags: new Set(), values: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg.startsWith('-') && arg !== '-') {
      const long = arg.startsWith('--');
      const body = arg.slice(long ? 2 : 1);
      const eq = body.indexOf('=');
      const rawName = eq >= 0 ? body.slice(0, eq) : body;
      const name = long ? rawName : SHORT[rawName] ?? rawName;
      if (VALUED.has(name)) {
        const value = eq >= 0 ? body.slice(eq + 1) : argv[++i];
        if (value === undefined) throw new Error(`flag needs an argument: ${arg}`);
        out.values.set(name, [...(out.values.get(name) ?? []), value]);
      } else {
        out.flags.add(name);
      }
      continue;
    }
    if (out.command === undefined) out.command = arg;
    else if (WITH_SUBCOMMANDS.has(out.command) && out.subcommand === undefined) out.subcommand = arg;
    else out.positional.push(arg);
  }
  return out;
}
