import yauzl from 'yauzl';

const DIGEST = /@(sha256:[0-9a-f]{64})/g;

/**
 * The image digests a source bundle runs: every `repo@sha256:…` in its Dockerrun.aws.json (the
 * deploy pins images by digest, so this is what a rollback to the version would pull).
 */
export function bundleImageDigests(zip: Buffer): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true }, (err, archive) => {
      if (err || !archive) {
        reject(err ?? new Error('not a zip file'));
        return;
      }
      let found = false;
      archive.on('error', reject);
      archive.on('end', () => {
        if (!found) resolve([]);
      });
      archive.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName !== 'Dockerrun.aws.json') {
          archive.readEntry();
          return;
        }
        found = true;
        archive.openReadStream(entry, (streamErr, stream) => {
          if (streamErr || !stream) {
            reject(streamErr ?? new Error('Dockerrun.aws.json could not be read'));
            return;
          }
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            archive.close();
            resolve([...new Set([...Buffer.concat(chunks).toString('utf8').matchAll(DIGEST)].map((m) => m[1] as string))]);
          });
        });
      });
      archive.readEntry();
    });
  });
}
