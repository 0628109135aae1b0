import yauzl from 'yauzl';

/**
 * Whether a Beanstalk source bundle would pass processing for the Docker platform: a readable
 * zip with a Dockerrun.aws.json at its root that parses as JSON.
 */
export function checkDockerBundle(zipPath: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  return new Promise((resolve) => {
    yauzl.open(zipPath, { lazyEntries: true, autoClose: true }, (err, zip) => {
      if (err || !zip) {
        resolve({ ok: false, reason: 'The source bundle is not a valid zip file.' });
        return;
      }
      let found = false;
      zip.on('error', () => resolve({ ok: false, reason: 'The source bundle is not a valid zip file.' }));
      zip.on('end', () => {
        if (!found) resolve({ ok: false, reason: 'Dockerrun.aws.json not found in the source bundle.' });
      });
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName !== 'Dockerrun.aws.json') {
          zip.readEntry();
          return;
        }
        found = true;
        zip.openReadStream(entry, (streamErr, stream) => {
          if (streamErr || !stream) {
            resolve({ ok: false, reason: 'Dockerrun.aws.json could not be read.' });
            return;
          }
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', () => resolve({ ok: false, reason: 'Dockerrun.aws.json could not be read.' }));
          stream.on('end', () => {
            try {
              JSON.parse(Buffer.concat(chunks).toString('utf8'));
              resolve({ ok: true });
            } catch {
              resolve({ ok: false, reason: 'Dockerrun.aws.json is not valid JSON.' });
            }
            zip.close();
          });
        });
      });
      zip.readEntry();
    });
  });
}
