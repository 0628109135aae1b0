import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  S3Client, CreateBucketCommand, PutObjectCommand, PutBucketWebsiteCommand, GetBucketWebsiteCommand, DeleteBucketWebsiteCommand,
  PutBucketPolicyCommand, GetBucketPolicyCommand, DeleteBucketPolicyCommand, GetPublicAccessBlockCommand, DeletePublicAccessBlockCommand,
  PutPublicAccessBlockCommand,
} from '@aws-sdk/client-s3';
import type { RunningSim } from '../../sim/index.js';
import { fetchPage } from '../../activities/website/fetch-page.js';
import { websiteHost } from '../../config/website-endpoint.js';
import { expectAwsError, sdkOptions, useFastSim } from './helpers.js';

const publicRead = (bucket: string, actions = ['s3:GetObject'], resource = `arn:aws:s3:::${bucket}/*`): string =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: actions, Resource: resource }] });

void describe('S3 website hosting', () => {
  let sim: RunningSim;
  let s3: S3Client;
  let eu: S3Client;
  const get = (bucket: string, path: string, region = 'us-east-1') =>
    fetchPage(`http://${websiteHost(bucket, region)}${path}`, { connectTo: sim.websiteEndpoint, timeoutMs: 5000 });

  useFastSim((started) => {
    sim = started;
    s3 = new S3Client({ ...sdkOptions(sim), forcePathStyle: true });
    eu = new S3Client({ ...sdkOptions(sim), region: 'eu-central-1', forcePathStyle: true });
    return [s3, eu];
  });

  void it('puts, gets and deletes a website configuration; a bucket without one answers NoSuchWebsiteConfiguration, on the API and on the endpoint', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'site-a' }));
    await expectAwsError(s3.send(new GetBucketWebsiteCommand({ Bucket: 'site-a' })), 'NoSuchWebsiteConfiguration');
    const none = await get('site-a', '/');
    assert.equal(none.status, 404);
    assert.match(none.body.toString(), /Code: NoSuchWebsiteConfiguration/);

    await expectAwsError(s3.send(new PutBucketWebsiteCommand({ Bucket: 'site-a', WebsiteConfiguration: {} })), 'InvalidArgument');
    await expectAwsError(s3.send(new PutBucketWebsiteCommand({ Bucket: 'site-a', WebsiteConfiguration: { IndexDocument: { Suffix: 'a/index.html' } } })), 'InvalidArgument');
    await s3.send(new PutBucketWebsiteCommand({
      Bucket: 'site-a',
      WebsiteConfiguration: {
        IndexDocument: { Suffix: 'index.html' },
        ErrorDocument: { Key: 'error.html' },
        RoutingRules: [{ Condition: { KeyPrefixEquals: 'old/' }, Redirect: { ReplaceKeyPrefixWith: 'new/' } }],
      },
    }));
    const got = await s3.send(new GetBucketWebsiteCommand({ Bucket: 'site-a' }));
    assert.equal(got.IndexDocument?.Suffix, 'index.html');
    assert.equal(got.ErrorDocument?.Key, 'error.html');
    assert.deepEqual(got.RoutingRules, [{ Condition: { KeyPrefixEquals: 'old/' }, Redirect: { ReplaceKeyPrefixWith: 'new/' } }]);
    await s3.send(new DeleteBucketWebsiteCommand({ Bucket: 'site-a' }));
    await expectAwsError(s3.send(new GetBucketWebsiteCommand({ Bucket: 'site-a' })), 'NoSuchWebsiteConfiguration');
    assert.equal((await get('no-such-bucket', '/')).status, 404);
  });

  void it('new buckets block public policies (403) until Block Public Access is lifted; then objects are served only when the policy makes them public', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'site-b' }));
    await s3.send(new PutBucketWebsiteCommand({ Bucket: 'site-b', WebsiteConfiguration: { IndexDocument: { Suffix: 'index.html' }, ErrorDocument: { Key: 'error.html' } } }));
    await s3.send(new PutObjectCommand({ Bucket: 'site-b', Key: 'index.html', Body: '<h1>home</h1>', ContentType: 'text/html' }));
    const block = await s3.send(new GetPublicAccessBlockCommand({ Bucket: 'site-b' }));
    assert.equal(block.PublicAccessBlockConfiguration?.BlockPublicPolicy, true);
    await expectAwsError(s3.send(new PutBucketPolicyCommand({ Bucket: 'site-b', Policy: publicRead('site-b') })), 'AccessDenied');
    const privateSite = await get('site-b', '/');
    assert.equal(privateSite.status, 403);
    assert.match(privateSite.body.toString(), /Code: AccessDenied/);

    await s3.send(new DeletePublicAccessBlockCommand({ Bucket: 'site-b' }));
    await expectAwsError(s3.send(new GetPublicAccessBlockCommand({ Bucket: 'site-b' })), 'NoSuchPublicAccessBlockConfiguration');
    await expectAwsError(s3.send(new PutBucketPolicyCommand({ Bucket: 'site-b', Policy: 'not json' })), 'MalformedPolicy');
    await s3.send(new PutBucketPolicyCommand({ Bucket: 'site-b', Policy: publicRead('site-b') }));
    assert.equal((await s3.send(new GetBucketPolicyCommand({ Bucket: 'site-b' }))).Policy, publicRead('site-b'));
    const home = await get('site-b', '/');
    assert.equal(home.status, 200);
    assert.equal(home.body.toString(), '<h1>home</h1>');
    assert.equal(home.contentType, 'text/html');

    // RestrictPublicBuckets makes S3 ignore the public policy again.
    await s3.send(new PutPublicAccessBlockCommand({ Bucket: 'site-b', PublicAccessBlockConfiguration: { RestrictPublicBuckets: true } }));
    assert.equal((await get('site-b', '/')).status, 403);
    await s3.send(new PutPublicAccessBlockCommand({ Bucket: 'site-b', PublicAccessBlockConfiguration: { RestrictPublicBuckets: false } }));
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: 'site-b' }));
    await expectAwsError(s3.send(new GetBucketPolicyCommand({ Bucket: 'site-b' })), 'NoSuchBucketPolicy');
    assert.equal((await get('site-b', '/')).status, 403);
  });

  void it('serves index documents for "/" and directories, redirects a directory without its slash, and answers a missing key with the error document (403 without public ListBucket, 404 with it)', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'site-c' }));
    await s3.send(new DeletePublicAccessBlockCommand({ Bucket: 'site-c' }));
    await s3.send(new PutBucketWebsiteCommand({ Bucket: 'site-c', WebsiteConfiguration: { IndexDocument: { Suffix: 'index.html' }, ErrorDocument: { Key: 'error.html' } } }));
    for (const [Key, Body, ContentType] of [['index.html', 'root', 'text/html'], ['reports/index.html', 'reports', 'text/html; charset=utf-8'], ['error.html', 'oops', 'text/html'], ['data/plot.svg', '<svg/>', 'image/svg+xml']]) {
      await s3.send(new PutObjectCommand({ Bucket: 'site-c', Key, Body, ContentType }));
    }
    await s3.send(new PutBucketPolicyCommand({ Bucket: 'site-c', Policy: publicRead('site-c') }));
    assert.equal((await get('site-c', '/')).body.toString(), 'root');
    const dir = await get('site-c', '/reports/');
    assert.equal(dir.body.toString(), 'reports');
    assert.equal(dir.contentType, 'text/html; charset=utf-8');
    const noSlash = await get('site-c', '/reports');
    assert.equal(noSlash.status, 200);
    assert.match(noSlash.url, /\/reports\/$/);
    assert.equal((await get('site-c', '/data/plot.svg')).contentType, 'image/svg+xml');

    const missing = await get('site-c', '/nope.html');
    assert.equal(missing.status, 403);
    assert.equal(missing.body.toString(), 'oops');
    await s3.send(new PutBucketPolicyCommand({
      Bucket: 'site-c',
      Policy: JSON.stringify({ Version: '2012-10-17', Statement: [
        { Effect: 'Allow', Principal: { AWS: '*' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::site-c/*' },
        { Effect: 'Allow', Principal: '*', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::site-c' },
      ] }),
    }));
    const notFound = await get('site-c', '/nope.html');
    assert.equal(notFound.status, 404);
    assert.equal(notFound.body.toString(), 'oops');
  });

  void it('serves a bucket only at its own region\'s endpoint, whose form (dash or dot) depends on the region', async () => {
    assert.equal(websiteHost('x', 'us-east-1'), 'x.s3-website-us-east-1.amazonaws.com');
    assert.equal(websiteHost('x', 'eu-central-1'), 'x.s3-website.eu-central-1.amazonaws.com');
    await eu.send(new CreateBucketCommand({ Bucket: 'site-eu', CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' } }));
    await eu.send(new DeletePublicAccessBlockCommand({ Bucket: 'site-eu' }));
    await eu.send(new PutBucketWebsiteCommand({ Bucket: 'site-eu', WebsiteConfiguration: { IndexDocument: { Suffix: 'index.html' } } }));
    await eu.send(new PutObjectCommand({ Bucket: 'site-eu', Key: 'index.html', Body: 'eu', ContentType: 'text/html' }));
    await eu.send(new PutBucketPolicyCommand({ Bucket: 'site-eu', Policy: publicRead('site-eu') }));
    assert.equal((await get('site-eu', '/', 'eu-central-1')).body.toString(), 'eu');
    const wrongRegion = await get('site-eu', '/', 'us-east-1');
    assert.equal(wrongRegion.status, 404);
    assert.match(wrongRegion.body.toString(), /NoSuchBucket/);
  });
});
