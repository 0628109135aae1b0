import { ApplicationFailure, defineQuery, log, proxyActivities, setHandler } from '@temporalio/workflow';
import { z } from 'zod';
import type { Activities as Acts } from '../activities/index.js';
import type { PushedImage } from '../activities/deploy/push-image.js';
import type { ImageSite } from '../activities/deploy/deploy-config.js';
import type { WebsiteSmokeResult } from '../activities/website/smoke-check-website.js';
import { missingSection } from '../config/stage-sections.js';
import { awsCall } from './activity-options.js';
import { buildActivities, pushActivities } from './deploy-options.js';
import { configPath, parseInput, site } from './inputs.js';
import { innermostMessage } from './failure-message.js';

export const websiteInputSchema = z.strictObject({
  site: site.optional(),
  configPath: configPath.optional(),
  /** Also build and push the pipeline image (the release's "image" stage). */
  pushImage: z.boolean({ error: 'must be true or false' }).optional(),
});
export type WebsiteInput = z.input<typeof websiteInputSchema>;

export interface WebsiteResult {
  site: string;
  smoke: WebsiteSmokeResult;
  /** The pipeline image pushed with the release, its digest confirmed by the registry; null without the image stage. */
  image: PushedImage | null;
}

export interface WebsiteStatus {
  workflow: 'website';
  site: string | null;
  stage: 'starting' | 'smoke-check' | 'building' | 'pushing' | 'completed' | 'failed';
  url: string | null;
  image: { reference: string | null; digest: string | null };
  nextAction: string;
  error: string | null;
}

export const websiteStatusQuery = defineQuery<WebsiteStatus>('status');

const { loadSiteConfig, checkWebsiteTarget } = proxyActivities<Acts>(awsCall);

/**
 * The last stages of a release without Beanstalk (a static website on S3): fetch the smoke page
 * from the bucket's website endpoint as a visitor would, then build and push the pipeline image.
 * The image has no approval gate: no environment runs it, so pushing it changes nothing a
 * visitor sees (the pages it produced are already live and checked); it is the record of what
 * built them, for the next scheduled run on Fargate or a person to pull.
 */
export async function websiteWorkflow(rawInput: WebsiteInput = {}): Promise<WebsiteResult> {
  const input = parseInput(websiteInputSchema, rawInput, 'websiteWorkflow');
  const status: WebsiteStatus = { workflow: 'website', site: input.site ?? null, stage: 'starting', url: null, image: { reference: null, digest: null }, nextAction: 'wait: loading the site config', error: null };
  setHandler(websiteStatusQuery, () => status);
  try {
    const config = await loadSiteConfig({ configPath: input.configPath, site: input.site });
    status.site = config.site;
    const target = await checkWebsiteTarget({ config });
    status.url = target.url;
    status.stage = 'smoke-check';
    status.nextAction = `wait: fetching ${target.url} from the website endpoint`;
    const smokeTimeout = `${target.smokeTimeoutSeconds + 60} seconds`;
    const { smokeCheckWebsite } = proxyActivities<Acts>({ startToCloseTimeout: smokeTimeout, heartbeatTimeout: '30 seconds', retry: { initialInterval: '2s', maximumAttempts: 3 } });
    const smoke = await smokeCheckWebsite({ url: target.url, connectTo: target.connectTo, smokeTimeoutSeconds: target.smokeTimeoutSeconds });
    let image: PushedImage | null = null;
    if (input.pushImage) {
      const missing = missingSection(config, 'image');
      if (missing || !config.image || !config.aws) {
        throw ApplicationFailure.create({ type: 'InvalidConfig', nonRetryable: true, message: missing?.message ?? `Config file ${config.configPath} has no "image" section.`, details: [{ field: 'image' }] });
      }
      const imageSite: ImageSite = {
        site: config.site,
        configPath: config.configPath,
        siteDir: config.siteDir,
        stateDir: config.stateDir,
        aws: { region: config.aws.region, ...(config.aws.endpoint ? { endpoint: config.aws.endpoint } : {}) },
        image: config.image,
      };
      status.stage = 'building';
      status.nextAction = 'wait: docker build of the pipeline image is running';
      const built = await buildActivities(config.image).buildImage({ site: imageSite, tag: config.image.tag });
      status.stage = 'pushing';
      status.nextAction = `wait: pushing ${config.image.repository}:${config.image.tag}`;
      image = await pushActivities(config.image).pushImage({ site: imageSite, localRef: built.localRef, tag: config.image.tag });
      status.image = { reference: image.reference, digest: image.digest };
    }
    status.stage = 'completed';
    status.nextAction = `none: ${target.url} serves ${smoke.bytes} bytes${image ? `; ${image.reference} pushed` : ''}`;
    log.info('website checked', { url: target.url, bytes: smoke.bytes, image: image?.reference });
    return { site: config.site, smoke, image };
  } catch (err) {
    status.stage = 'failed';
    status.error = innermostMessage(err);
    status.nextAction = 'fix the cause named in the error, then start a new release';
    throw err;
  }
}
