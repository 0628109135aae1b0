import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InputError } from '../config/errors.js';

/** parseArgs with its errors turned into one sentence that says what to type instead. */
export function parseCli<T extends ParseArgsConfig['options']>(argv: string[], options: T, usage: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    const message = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new InputError('InvalidArgument', 'argv', `${message}. Usage: ${usage}`);
  }
}

export function parseJsonArg(flag: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError('InvalidArgument', flag, `${flag} is not valid JSON (${(err as Error).message}): pass an object such as '{"site":"sample-site"}'.`);
  }
}

/** Entry-point wrapper: one line on stderr and exit 2 for bad input, 1 for anything else. */
export function runMain(main: () => Promise<number | void>): void {
  main().then(
    (code) => process.exit(code ?? 0),
    (err: unknown) => {
      if (err instanceof InputError) {
        console.error(`error: ${err.message}`);
        process.exit(2);
      }
      console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
