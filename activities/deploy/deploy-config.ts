import type { AwsTarget } from '../aws/clients.js';
import type { BeanstalkSettings, ResolvedConfig } from '../../config/load.js';

/**
 * The parts of the site config the deploy activities read, passed in. Env values are not among
 * them: the activities that set them read `configPath` on the worker's disk.
 */
export interface DeploySite {
  site: string;
  /** Absent in inputs scheduled before env values moved out of history (and in the sync's restart). */
  configPath?: string;
  siteDir: string;
  stateDir: string;
  aws: AwsTarget;
  image?: NonNullable<ResolvedConfig['image']>;
  beanstalk: BeanstalkSettings;
}

/** What building and pushing an image reads: a website release pushes its pipeline image with no Beanstalk section. */
export type ImageSite = Omit<DeploySite, 'beanstalk'>;

/** What `describeEnvironment` and the preflight report about an environment. */
export interface EnvironmentSnapshot {
  name: string;
  id: string;
  application: string;
  status: string;
  health: string;
  versionLabel: string | null;
  cname: string | null;
  /** On AWS the load balancer's name; on the sim the loopback host:port the environment is served on. */
  endpointUrl: string | null;
  abortable: boolean;
  /** The solution stack (or platform ARN) it runs; absent in snapshots recorded before it was read. */
  platform?: string | null;
}

/** Environment variables the docker CLI needs: the sim's double finds the sim through AWS_ENDPOINT_URL. */
export function dockerEnv(site: Pick<DeploySite, 'aws'>, dockerConfigDir?: string): Record<string, string> {
  return {
    ...(site.aws.endpoint ? { AWS_ENDPOINT_URL: site.aws.endpoint } : {}),
    ...(dockerConfigDir ? { DOCKER_CONFIG: dockerConfigDir } : {}),
  };
}
