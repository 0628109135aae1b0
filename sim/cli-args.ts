export interface SimCliArgs {
  port: number;
  sftpPort: number;
  websitePort: number;
  stateDir?: string;
  json: boolean;
  transferStartSeconds?: number;
  beanstalkUpdateSeconds?: number;
}

export class CliArgError extends Error {}

const USAGE = 'npm run sim -- [--port 4566] [--sftp-port 2222] [--website-port 0] [--state-dir DIR] [--json] [--transfer-start-seconds S] [--beanstalk-update-seconds S]';

function portValue(flag: string, raw: string | undefined): number {
  if (raw === undefined || !/^\d+$/.test(raw) || Number(raw) > 65535) {
    throw new CliArgError(`${flag} needs a port number from 0 to 65535 (0 picks a free port), e.g. ${flag} 4566.`);
  }
  return Number(raw);
}

function secondsValue(flag: string, raw: string | undefined): number {
  if (raw === undefined || !/^\d+(\.\d+)?$/.test(raw)) throw new CliArgError(`${flag} needs a number of seconds, e.g. ${flag} 0.5.`);
  return Number(raw);
}

/** Parses `--flag value` and `--flag=value`; every mistake names the flag and the fix. */
export function parseSimArgs(argv: string[]): SimCliArgs {
  const args: SimCliArgs = { port: 4566, sftpPort: 2222, websitePort: 0, json: false };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] as string;
    const eq = raw.indexOf('=');
    const flag = raw.startsWith('--') && eq > 0 ? raw.slice(0, eq) : raw;
    const inline = raw.startsWith('--') && eq > 0 ? raw.slice(eq + 1) : undefined;
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--port': args.port = portValue(flag, value()); break;
      case '--sftp-port': args.sftpPort = portValue(flag, value()); break;
      case '--website-port': args.websitePort = portValue(flag, value()); break;
      case '--state-dir': {
        const dir = value();
        if (dir === undefined || dir === '' || dir.startsWith('--')) throw new CliArgError('--state-dir needs a directory path, e.g. --state-dir ./.sim-state.');
        args.stateDir = dir;
        break;
      }
      case '--json':
        if (inline !== undefined) throw new CliArgError('--json takes no value; write just --json.');
        args.json = true;
        break;
      case '--transfer-start-seconds': args.transferStartSeconds = secondsValue(flag, value()); break;
      case '--beanstalk-update-seconds': args.beanstalkUpdateSeconds = secondsValue(flag, value()); break;
      case '--help':
      case '-h':
        throw new CliArgError(`Usage: ${USAGE}`);
      default:
        throw new CliArgError(`Unknown flag ${raw}; the sim accepts: ${USAGE.replace('npm run sim -- ', '')}.`);
    }
  }
  return args;
}
