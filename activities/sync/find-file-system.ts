import { DescribeFileSystemsCommand, type EFSClient } from '@aws-sdk/client-efs';
import { nonRetryable } from '../failures.js';
import { isNotFound } from '../aws/errors.js';

/**
 * `transfer.efsFileSystem` may be an id (fs-…) or the file system's Name tag, as the console
 * shows it (the reference runbook calls it "contacttracing_site_fs").
 */
export async function findFileSystem(efs: EFSClient, idOrName: string, where: string): Promise<string> {
  if (/^fs-[0-9a-f]{8,40}$/.test(idOrName)) {
    try {
      const { FileSystems } = await efs.send(new DescribeFileSystemsCommand({ FileSystemId: idOrName }));
      const found = FileSystems?.[0]?.FileSystemId;
      if (found) return found;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    throw nonRetryable(
      'FileSystemNotFound',
      `transfer.efsFileSystem "${idOrName}" is not an EFS file system in ${where}: use an id from "aws efs describe-file-systems" or the file system's Name tag.`,
      { field: 'transfer.efsFileSystem' },
    );
  }
  const matches: string[] = [];
  let marker: string | undefined;
  do {
    const page = await efs.send(new DescribeFileSystemsCommand({ Marker: marker, MaxItems: 100 }));
    for (const fs of page.FileSystems ?? []) {
      const name = fs.Name ?? fs.Tags?.find((t) => t.Key === 'Name')?.Value;
      if (name === idOrName && fs.FileSystemId) matches.push(fs.FileSystemId);
    }
    marker = page.NextMarker;
  } while (marker);
  if (matches.length === 1) return matches[0] as string;
  throw nonRetryable(
    'FileSystemNotFound',
    matches.length === 0
      ? `transfer.efsFileSystem "${idOrName}" matches no EFS file system id or Name tag in ${where}: use an id from "aws efs describe-file-systems" or the file system's Name tag.`
      : `transfer.efsFileSystem "${idOrName}" names ${matches.length} EFS file systems (${matches.join(', ')}): use the id of the one to upload to.`,
    { field: 'transfer.efsFileSystem' },
  );
}
