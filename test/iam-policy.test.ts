import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from './helpers/sample-site.js';

// docs/iam-policy.json is what a person attaches to the identity the worker runs as. Every AWS
// call the activities make must be allowed by it, or the first real release fails half way.

const iamPrefix: Record<string, string> = {
  transfer: 'transfer',
  efs: 'elasticfilesystem',
  'elastic-beanstalk': 'elasticbeanstalk',
  s3: 's3',
  'ecr-public': 'ecr-public',
  ecr: 'ecr',
  sts: 'sts',
  'secrets-manager': 'secretsmanager',
  ssm: 'ssm',
};

// S3's API names differ from its IAM actions.
const s3Actions: Record<string, string> = {
  HeadBucket: 'ListBucket',
  ListObjectsV2: 'ListBucket',
  HeadObject: 'GetObject',
  CreateMultipartUpload: 'PutObject',
  UploadPart: 'PutObject',
  CompleteMultipartUpload: 'PutObject',
  DeleteObjects: 'DeleteObject',
  ListParts: 'ListMultipartUploadParts',
  ListMultipartUploads: 'ListBucketMultipartUploads',
};

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(full)));
    else if (entry.name.endsWith('.ts')) out.push(full);
  }
  return out;
}

/** `transfer:CreateServer` for every SDK command an activity sends, aliases resolved. */
async function actionsUsed(): Promise<Map<string, string>> {
  const used = new Map<string, string>();
  for (const file of await sourceFiles(path.join(repoRoot, 'activities'))) {
    const text = await readFile(file, 'utf8');
    for (const m of text.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'@aws-sdk\/client-([a-z0-9-]+)'/g)) {
      const service = m[2]!;
      for (const spec of m[1]!.split(',')) {
        const [name, alias] = spec.trim().replace(/^type\s+/, '').split(/\s+as\s+/);
        if (!name?.endsWith('Command')) continue;
        const local = alias ?? name;
        if (!new RegExp(`new ${local}\\(`).test(text)) continue;
        const api = name.replace(/Command$/, '');
        const action = service === 's3' ? (s3Actions[api] ?? api) : api;
        used.set(`${iamPrefix[service] ?? service}:${action}`, path.relative(repoRoot, file));
      }
    }
  }
  return used;
}

test('docs/iam-policy.json allows every AWS call the activities make', async () => {
  const policy = JSON.parse(await readFile(path.join(repoRoot, 'docs', 'iam-policy.json'), 'utf8')) as {
    Statement: { Effect: string; Action: string[] }[];
  };
  const allowed = new Set(policy.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => s.Action));
  const used = await actionsUsed();
  assert.ok(used.size >= 20, `found only ${used.size} AWS calls: the scan is broken`);
  const missing = [...used].filter(([action]) => !allowed.has(action)).map(([action, file]) => `${action} (${file})`);
  assert.deepEqual(missing, [], 'actions used but not in the policy');
});
