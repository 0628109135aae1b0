import { isDockerPlatform } from './platform.js';

/**
 * The one place that says which config sections each stage needs, and the sentence a person
 * gets when one is missing. Pure data and string work, so the workflows (deterministic) and the
 * activities both use it.
 */

export type SectionName = 'aws' | 'data' | 'transfer' | 'image' | 'beanstalk' | 'website';
export type StageNeedingSections = 'sync' | 'image' | 'deploy' | 'restart' | 'website';

const examples: Record<SectionName, string> = {
  aws: '{"region": "us-east-1"}',
  data: '{"localDir": "data/compiled", "remoteDir": "/data"}',
  transfer: '{"efsFileSystem": "fs-0123456789abcdef0", "userRole": "transfer-efs-access"}',
  image: '{"name": "ct-site", "repository": "public.ecr.aws/abc123/ct-site"}',
  beanstalk: '{"application": "ct-site", "environment": "ct-site-prod"}',
  website: '{"smokePath": "/dashboard/index.html"}',
};

export const stageSections: Record<StageNeedingSections, readonly SectionName[]> = {
  sync: ['aws', 'data', 'transfer'],
  image: ['aws', 'image', 'beanstalk'],
  deploy: ['aws', 'image', 'beanstalk'],
  restart: ['aws', 'beanstalk'],
  website: ['aws', 'data', 'website'],
};

export interface MissingSection {
  section: SectionName;
  /** One sentence: which file, which section, which stage needs it, and an example to add. */
  message: string;
}

/** The first section `stage` needs that `config` lacks, or undefined when it has them all. */
export function missingSection(
  config: { configPath: string; data?: { target?: { kind?: string } } } & Partial<Record<SectionName, unknown>>,
  stage: StageNeedingSections,
  /** The site deploys its app's own files (a non-Docker platform, no image section): no image stage. */
  appBundle = false,
): MissingSection | undefined {
  // An S3 data target is reached through the AWS API alone: no Transfer server, no transfer section.
  // A website release pushes its pipeline image for no environment: no beanstalk section.
  let needs: readonly SectionName[] = stage === 'sync' && config.data?.target?.kind === 's3'
    ? stageSections.sync.filter((name) => name !== 'transfer')
    : stage === 'image' && config.website !== undefined ? ['aws', 'image'] : stageSections[stage];
  if (appBundle && (stage === 'image' || stage === 'deploy')) needs = needs.filter((name) => name !== 'image');
  const section = needs.find((name) => config[name] === undefined);
  if (!section) return undefined;
  return {
    section,
    message: `Config file ${config.configPath} has no "${section}" section, which the "${stage}" stage needs: add one such as ${examples[section]}, or leave "${stage}" out of stages.`,
  };
}

/** A site whose app deploys as its own files: a non-Docker platform in config and no image section. */
export function deploysAppBundle(config: { image?: unknown; beanstalk?: { platform?: string } }): boolean {
  const platform = config.beanstalk?.platform;
  return config.image === undefined && platform !== undefined && !isDockerPlatform(platform);
}
