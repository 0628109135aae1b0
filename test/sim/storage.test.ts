import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  EFSClient, CreateFileSystemCommand, DescribeFileSystemsCommand, DeleteFileSystemCommand, DescribeMountTargetsCommand,
  paginateDescribeFileSystems,
} from '@aws-sdk/client-efs';
import {
  S3Client, CreateBucketCommand, HeadBucketCommand, PutObjectCommand, GetObjectCommand, HeadObjectCommand,
  ListObjectsV2Command, DeleteObjectCommand, CreateMultipartUploadCommand, UploadPartCommand, CompleteMultipartUploadCommand,
  AbortMultipartUploadCommand, paginateListObjectsV2, ListPartsCommand, ListMultipartUploadsCommand, DeleteObjectsCommand,
} from '@aws-sdk/client-s3';
import { simControl } from '../../sim/control-client.js';
import type { RunningSim } from '../../sim/index.js';
import { expectAwsError, sdkOptions, useFastSim } from './helpers.js';

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

void describe('EFS and S3', () => {
  let sim: RunningSim;
  let efs: EFSClient;
  let s3: S3Client;

  useFastSim((started) => {
    sim = started;
    [efs, s3] = [new EFSClient(sdkOptions(sim)), new S3Client({ ...sdkOptions(sim), forcePathStyle: true })];
    return [efs, s3];
  });

  void it('creates file systems idempotently by token, describes, paginates, sizes and deletes them', async () => {
    const created = await efs.send(new CreateFileSystemCommand({ CreationToken: 'release-web', Tags: [{ Key: 'Name', Value: 'web-data' }], Encrypted: true }));
    assert.match(created.FileSystemId ?? '', /^fs-[0-9a-f]{17}$/);
    assert.equal(created.Name, 'web-data');
    assert.equal(created.LifeCycleState, 'available');
    assert.ok(created.CreationTime instanceof Date);
    const again = await expectAwsError(efs.send(new CreateFileSystemCommand({ CreationToken: 'release-web' })), 'FileSystemAlreadyExists');
    assert.equal((again as unknown as { FileSystemId: string }).FileSystemId, created.FileSystemId);

    const id = created.FileSystemId as string;
    mkdirSync(join(sim.efsDir(id), 'site'), { recursive: true });
    writeFileSync(join(sim.efsDir(id), 'site', 'index.html'), Buffer.alloc(1234));
    const byId = await efs.send(new DescribeFileSystemsCommand({ FileSystemId: id }));
    assert.equal(byId.FileSystems?.[0]?.SizeInBytes?.Value, 1234);
    const byToken = await efs.send(new DescribeFileSystemsCommand({ CreationToken: 'release-web' }));
    assert.equal(byToken.FileSystems?.[0]?.FileSystemId, id);
    assert.deepEqual((await efs.send(new DescribeFileSystemsCommand({ CreationToken: 'nope' }))).FileSystems, []);

    for (let i = 0; i < 4; i++) await efs.send(new CreateFileSystemCommand({ CreationToken: `extra-${i}` }));
    const seen: string[] = [];
    for await (const page of paginateDescribeFileSystems({ client: efs, pageSize: 2 }, {})) {
      assert.ok((page.FileSystems ?? []).length <= 2);
      seen.push(...(page.FileSystems ?? []).map((f) => f.FileSystemId as string));
    }
    assert.equal(new Set(seen).size, 5);

    assert.deepEqual((await efs.send(new DescribeMountTargetsCommand({ FileSystemId: id }))).MountTargets, []);
    await expectAwsError(efs.send(new DescribeMountTargetsCommand({})), 'BadRequest');
    await efs.send(new DeleteFileSystemCommand({ FileSystemId: id }));
    await expectAwsError(efs.send(new DescribeFileSystemsCommand({ FileSystemId: id })), 'FileSystemNotFound');
    await expectAwsError(efs.send(new DeleteFileSystemCommand({ FileSystemId: id })), 'FileSystemNotFound');
    // CreationToken is an idempotency token the SDK fills in itself; a bad enum is the service's to refuse.
    await expectAwsError(efs.send(new CreateFileSystemCommand({ CreationToken: 'bad-mode', PerformanceMode: 'fastest' as never })), 'BadRequest');
  });

  void it('stores, lists, reads and deletes S3 objects', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'bundles' }));
    await s3.send(new HeadBucketCommand({ Bucket: 'bundles' }));
    await expectAwsError(s3.send(new HeadBucketCommand({ Bucket: 'missing-bucket' })), 'NotFound');
    await expectAwsError(s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' })), 'InvalidBucketName');

    const body = randomBytes(100_000);
    const put = await s3.send(new PutObjectCommand({ Bucket: 'bundles', Key: 'v1/app bundle.zip', Body: body, ContentType: 'application/zip', Metadata: { release: 'r1' } }));
    assert.equal(put.ETag, `"${md5(body)}"`);
    // A stream body goes out aws-chunked with a trailing checksum.
    await s3.send(new PutObjectCommand({ Bucket: 'bundles', Key: 'v1/stream.bin', Body: Readable.from([body.subarray(0, 5000), body.subarray(5000)]), ContentLength: body.length }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'bundles', Key: 'v1/app bundle.zip' }));
    assert.equal(head.ContentLength, body.length);
    assert.equal(head.ContentType, 'application/zip');
    assert.deepEqual(head.Metadata, { release: 'r1' });
    const got = await s3.send(new GetObjectCommand({ Bucket: 'bundles', Key: 'v1/stream.bin' }));
    assert.equal(md5(Buffer.from(await got.Body!.transformToByteArray())), md5(body));
    const ranged = await s3.send(new GetObjectCommand({ Bucket: 'bundles', Key: 'v1/app bundle.zip', Range: 'bytes=10-19' }));
    assert.deepEqual(Buffer.from(await ranged.Body!.transformToByteArray()), body.subarray(10, 20));
    await expectAwsError(s3.send(new GetObjectCommand({ Bucket: 'bundles', Key: 'nope' })), 'NoSuchKey');
    await expectAwsError(s3.send(new GetObjectCommand({ Bucket: 'nobucket', Key: 'nope' })), 'NoSuchBucket');
    await expectAwsError(s3.send(new HeadObjectCommand({ Bucket: 'bundles', Key: 'nope' })), 'NotFound');

    for (let i = 0; i < 5; i++) await s3.send(new PutObjectCommand({ Bucket: 'bundles', Key: `logs/${i}.txt`, Body: `log ${i}` }));
    const delimited = await s3.send(new ListObjectsV2Command({ Bucket: 'bundles', Delimiter: '/' }));
    assert.deepEqual(delimited.CommonPrefixes?.map((p) => p.Prefix), ['logs/', 'v1/']);
    const keys: string[] = [];
    for await (const page of paginateListObjectsV2({ client: s3, pageSize: 2 }, { Bucket: 'bundles', Prefix: 'logs/' })) {
      keys.push(...(page.Contents ?? []).map((o) => o.Key as string));
    }
    assert.deepEqual(keys, ['logs/0.txt', 'logs/1.txt', 'logs/2.txt', 'logs/3.txt', 'logs/4.txt']);
    await s3.send(new DeleteObjectCommand({ Bucket: 'bundles', Key: 'logs/0.txt' }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'bundles', Key: 'logs/0.txt' }));
    assert.equal((await s3.send(new ListObjectsV2Command({ Bucket: 'bundles', Prefix: 'logs/' }))).KeyCount, 4);
  });

  void it('assembles multipart uploads and enforces part rules', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'big' }));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'big', Key: 'bundle.zip' }));
    const part1 = randomBytes(5 * 1024 * 1024);
    const part2 = randomBytes(1000);
    const p1 = await s3.send(new UploadPartCommand({ Bucket: 'big', Key: 'bundle.zip', UploadId, PartNumber: 1, Body: part1 }));
    const p2 = await s3.send(new UploadPartCommand({ Bucket: 'big', Key: 'bundle.zip', UploadId, PartNumber: 2, Body: part2 }));
    await expectAwsError(s3.send(new CompleteMultipartUploadCommand({
      Bucket: 'big', Key: 'bundle.zip', UploadId, MultipartUpload: { Parts: [{ PartNumber: 2, ETag: p2.ETag }, { PartNumber: 1, ETag: p1.ETag }] },
    })), 'InvalidPartOrder');
    const done = await s3.send(new CompleteMultipartUploadCommand({
      Bucket: 'big', Key: 'bundle.zip', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }] },
    }));
    assert.match(done.ETag ?? '', /-2"$/);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'big', Key: 'bundle.zip' }));
    assert.equal(md5(Buffer.from(await got.Body!.transformToByteArray())), md5(Buffer.concat([part1, part2])));

    const small = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'big', Key: 'small.zip' }));
    const s1 = await s3.send(new UploadPartCommand({ Bucket: 'big', Key: 'small.zip', UploadId: small.UploadId, PartNumber: 1, Body: 'tiny' }));
    const s2 = await s3.send(new UploadPartCommand({ Bucket: 'big', Key: 'small.zip', UploadId: small.UploadId, PartNumber: 2, Body: 'tiny' }));
    await expectAwsError(s3.send(new CompleteMultipartUploadCommand({
      Bucket: 'big', Key: 'small.zip', UploadId: small.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: s1.ETag }, { PartNumber: 2, ETag: s2.ETag }] },
    })), 'EntityTooSmall');
    await s3.send(new AbortMultipartUploadCommand({ Bucket: 'big', Key: 'small.zip', UploadId: small.UploadId }));
    await expectAwsError(s3.send(new UploadPartCommand({ Bucket: 'big', Key: 'small.zip', UploadId: small.UploadId, PartNumber: 3, Body: 'x' })), 'NoSuchUpload');
  });

  void it('verifies and keeps SHA-256 checksums, lists and resumes multipart uploads, deletes in batches', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'checked' }));
    const sha = (b: Buffer): string => createHash('sha256').update(b).digest('base64');
    const small = randomBytes(1000);
    await s3.send(new PutObjectCommand({ Bucket: 'checked', Key: 'p/small', Body: small, ChecksumAlgorithm: 'SHA256' }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'checked', Key: 'p/small', ChecksumMode: 'ENABLED' }));
    assert.equal(head.ChecksumSHA256, sha(small));
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: 'checked', Key: 'p/small' }))).ChecksumSHA256, undefined, 'only when asked');
    // A checksum that does not match the body: 400 BadDigest, and the old object stays.
    await expectAwsError(s3.send(new PutObjectCommand({ Bucket: 'checked', Key: 'p/small', Body: randomBytes(10), ChecksumSHA256: sha(Buffer.from('other')) })), 'BadDigest');
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: 'checked', Key: 'p/small', ChecksumMode: 'ENABLED' }))).ChecksumSHA256, sha(small));

    // Multipart with SHA-256: parts listed with their checksums, the upload listed until completed.
    const parts = [randomBytes(5 * 1024 * 1024), randomBytes(5 * 1024 * 1024), randomBytes(1234)];
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'checked', Key: 'p/big', ChecksumAlgorithm: 'SHA256' }));
    await expectAwsError(s3.send(new UploadPartCommand({ Bucket: 'checked', Key: 'p/big', UploadId, PartNumber: 1, Body: parts[0], ChecksumSHA256: sha(Buffer.from('x')) })), 'BadDigest');
    for (const [i, body] of parts.slice(0, 2).entries()) {
      await s3.send(new UploadPartCommand({ Bucket: 'checked', Key: 'p/big', UploadId, PartNumber: i + 1, Body: body, ChecksumAlgorithm: 'SHA256' }));
    }
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'checked', Prefix: 'p/' }));
    assert.deepEqual(uploads.Uploads?.map((u) => [u.Key, u.UploadId, u.ChecksumAlgorithm]), [['p/big', UploadId, 'SHA256']]);
    const listed = await s3.send(new ListPartsCommand({ Bucket: 'checked', Key: 'p/big', UploadId, MaxParts: 1 }));
    assert.equal(listed.IsTruncated, true);
    assert.deepEqual(listed.Parts?.map((p) => [p.PartNumber, p.Size, p.ChecksumSHA256]), [[1, parts[0]?.length, sha(parts[0] as Buffer)]]);
    const rest = await s3.send(new ListPartsCommand({ Bucket: 'checked', Key: 'p/big', UploadId, PartNumberMarker: listed.NextPartNumberMarker }));
    assert.deepEqual(rest.Parts?.map((p) => p.PartNumber), [2]);
    // A resumed upload sends only what ListParts lacks, then completes with every part.
    const last = await s3.send(new UploadPartCommand({ Bucket: 'checked', Key: 'p/big', UploadId, PartNumber: 3, Body: parts[2], ChecksumAlgorithm: 'SHA256' }));
    const all = [...(listed.Parts ?? []), ...(rest.Parts ?? [])].map((p) => ({ PartNumber: p.PartNumber, ETag: p.ETag, ChecksumSHA256: p.ChecksumSHA256 }));
    const done = await s3.send(new CompleteMultipartUploadCommand({
      Bucket: 'checked', Key: 'p/big', UploadId,
      MultipartUpload: { Parts: [...all, { PartNumber: 3, ETag: last.ETag, ChecksumSHA256: last.ChecksumSHA256 }] },
    }));
    const composite = `${createHash('sha256').update(Buffer.concat(parts.map((p) => createHash('sha256').update(p).digest()))).digest('base64')}-3`;
    assert.equal(done.ChecksumSHA256, composite);
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: 'checked', Key: 'p/big', ChecksumMode: 'ENABLED' }))).ChecksumSHA256, composite);
    assert.deepEqual((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'checked' }))).Uploads ?? [], []);
    await expectAwsError(s3.send(new ListPartsCommand({ Bucket: 'checked', Key: 'p/big', UploadId })), 'NoSuchUpload');

    // ListObjectsV2 pages with continuation tokens; DeleteObjects removes a batch (missing keys count as deleted).
    for (let i = 0; i < 5; i++) await s3.send(new PutObjectCommand({ Bucket: 'checked', Key: `q/${i}`, Body: String(i) }));
    const keys: string[] = [];
    for await (const page of paginateListObjectsV2({ client: s3, pageSize: 2 }, { Bucket: 'checked', Prefix: 'q/' })) keys.push(...(page.Contents ?? []).map((o) => o.Key ?? ''));
    assert.deepEqual(keys, ['q/0', 'q/1', 'q/2', 'q/3', 'q/4']);
    const deleted = await s3.send(new DeleteObjectsCommand({ Bucket: 'checked', Delete: { Objects: [...keys.map((Key) => ({ Key })), { Key: 'q/none' }] } }));
    assert.equal(deleted.Deleted?.length, 6);
    assert.equal((await s3.send(new ListObjectsV2Command({ Bucket: 'checked', Prefix: 'q/' }))).KeyCount, 0);
  });

  void it('injects S3 and EFS faults with the service\'s own error shapes', async () => {
    const control = simControl(sim.controlUrl);
    await control.addFault({ service: 's3', operation: 'PutObject', errorCode: 'SlowDown', count: 1 });
    const slow = await expectAwsError(s3.send(new PutObjectCommand({ Bucket: 'bundles', Key: 'x', Body: randomBytes(200_000) })), 'SlowDown');
    assert.equal(slow.$metadata?.httpStatusCode, 503);
    await s3.send(new PutObjectCommand({ Bucket: 'bundles', Key: 'x', Body: 'ok' }));
    await control.addFault({ service: 'efs', operation: 'DescribeFileSystems', errorCode: 'ThrottlingException', count: 1 });
    await expectAwsError(efs.send(new DescribeFileSystemsCommand({})), 'ThrottlingException');
    await efs.send(new DescribeFileSystemsCommand({}));
  });
});
