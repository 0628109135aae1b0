import yauzl from 'yauzl';

/** The root-level files of a source bundle that decide how a platform runs it, with their text. */
interface BundleEntries {
  names: Set<string>;
  text: Map<string, string>;
}

/** The files whose content a check reads; everything else is only listed. */
const READ = new Set(['Dockerrun.aws.json', 'requirements.txt', 'Procfile']);

function readBundle(zipPath: string): Promise<BundleEntries | undefined> {
  return new Promise((resolve) => {
    yauzl.open(zipPath, { lazyEntries: true, autoClose: true }, (err, zip) => {
      if (err || !zip) {
        resolve(undefined);
        return;
      }
      const out: BundleEntries = { names: new Set(), text: new Map() };
      zip.on('error', () => resolve(undefined));
      zip.on('end', () => resolve(out));
      zip.on('entry', (entry: yauzl.Entry) => {
        out.names.add(entry.fileName);
        if (!READ.has(entry.fileName)) {
          zip.readEntry();
          return;
        }
        zip.openReadStream(entry, (streamErr, stream) => {
          if (streamErr || !stream) {
            resolve(undefined);
            return;
          }
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', () => resolve(undefined));
          stream.on('end', () => {
            out.text.set(entry.fileName, Buffer.concat(chunks).toString('utf8'));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

/**
 * Whether version processing (CreateApplicationVersion with Process) passes: a readable zip,
 * and a Dockerrun.aws.json, if there is one, that parses. Processing knows no platform: a
 * bundle that suits none fails later, when an environment deploys it.
 */
export async function checkBundle(zipPath: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  const bundle = await readBundle(zipPath);
  if (!bundle) return { ok: false, reason: 'The source bundle is not a valid zip file.' };
  const dockerrun = bundle.text.get('Dockerrun.aws.json');
  if (dockerrun !== undefined) {
    try {
      JSON.parse(dockerrun);
    } catch {
      return { ok: false, reason: 'Dockerrun.aws.json is not valid JSON.' };
    }
  }
  return { ok: true };
}

/**
 * What deploying a bundle on a platform does, as the instance's engine would find out:
 * - `failed`: the deployment fails (events name why) and the environment keeps its old version;
 * - `appDown`: the deployment succeeds but the app never answers (nginx returns 502);
 * - otherwise the app runs `entry`.
 */
export interface DeployVerdict {
  failed?: string;
  appDown?: string;
  entry: string;
}

// A requirements.txt line pip accepts: an option (-r, --index-url…), a URL or path, or a
// PEP 508 name with extras, version specifiers and a marker.
const VERSION = '(?:===|==|!=|<=|>=|~=|<|>)\\s*[A-Za-z0-9.*+!_-]+';
const REQUIREMENT = new RegExp(`^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\\s*(?:\\[[A-Za-z0-9._,\\s-]*\\])?\\s*(?:\\(?\\s*${VERSION}(?:\\s*,\\s*${VERSION})*\\s*\\)?)?\\s*(?:;.*)?$`);
const NAME_AT_URL = /^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@\s*\S+/;

/** The first line pip would refuse, or undefined. */
export function badRequirement(text: string): string | undefined {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line || line.startsWith('-') || /^(https?|git\+\w+|file):\/\//.test(line) || line.startsWith('.') || line.startsWith('/')) continue;
    if (REQUIREMENT.test(line) || NAME_AT_URL.test(line)) continue;
    return line;
  }
  return undefined;
}

/** `language` is the platform's, as the catalogue names it ("Docker", "Python"). */
export async function deployVerdict(zipPath: string | undefined, language: string | undefined): Promise<DeployVerdict> {
  const bundle = zipPath ? await readBundle(zipPath) : undefined;
  if (!bundle) return { entry: 'sample application' };
  if (language === 'Docker') {
    if (!bundle.names.has('Dockerrun.aws.json') && !bundle.names.has('Dockerfile')) {
      return { failed: "Instance deployment: Both 'Dockerfile' and 'Dockerrun.aws.json' are missing in your source bundle. Include at least one of them. The deployment failed.", entry: '' };
    }
    return { entry: bundle.names.has('Dockerrun.aws.json') ? 'Dockerrun.aws.json' : 'Dockerfile' };
  }
  if (language === 'Python') {
    const requirements = bundle.text.get('requirements.txt');
    const bad = requirements === undefined ? undefined : badRequirement(requirements);
    if (bad !== undefined) {
      return { failed: `Instance deployment failed to install application dependencies (pip refused "${bad}" in requirements.txt). The deployment failed.`, entry: '' };
    }
    const procfile = bundle.text.get('Procfile');
    const web = procfile?.split(/\r?\n/).find((l) => l.startsWith('web:'))?.slice(4).trim();
    if (web) return { entry: web };
    // Without a Procfile the platform runs gunicorn on application:application (WSGIPath).
    if (!bundle.names.has('application.py')) {
      return { appDown: 'gunicorn cannot import "application" (no application.py and no Procfile at the bundle root)', entry: 'gunicorn application:application' };
    }
    return { entry: 'gunicorn application:application' };
  }
  return { entry: 'the platform default' };
}
