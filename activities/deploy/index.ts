import type { AwsClientFactory } from '../aws/clients.js';
import { createApplicationVersion } from './application-version.js';
import { buildImage } from './build-image.js';
import { checkDeployTarget } from './check-deploy-target.js';
import { discardSourceBundle } from './discard-bundle.js';
import { createEnvironment } from './ensure-environment.js';
import { pruneReleaseArtifacts } from './prune-release-artifacts.js';
import { pushImage, resolvePushedImage } from './push-image.js';
import { restartAppServer } from './restart-app-server.js';
import { abortEnvironmentUpdate } from './rollback.js';
import { smokeCheck } from './smoke-check.js';
import { updateEnvironment } from './update-environment.js';
import { uploadSourceBundle } from './upload-bundle.js';
import { waitForHealthyEnvironment } from './wait-for-healthy-environment.js';
import { bind } from '../bind.js';

/** The deploy's activities, bound to the AWS client factory (the real account or the sim). */
export function createDeployActivities(deps: { aws: AwsClientFactory }) {
  const { aws } = deps;
  return {
    checkDeployTarget: bind(aws, checkDeployTarget),
    buildImage,
    pushImage: bind(aws, pushImage),
    resolvePushedImage: bind(aws, resolvePushedImage),
    uploadSourceBundle: bind(aws, uploadSourceBundle),
    createApplicationVersion: bind(aws, createApplicationVersion),
    discardSourceBundle: bind(aws, discardSourceBundle),
    createEnvironment: bind(aws, createEnvironment),
    updateEnvironment: bind(aws, updateEnvironment),
    waitForHealthyEnvironment: bind(aws, waitForHealthyEnvironment),
    abortEnvironmentUpdate: bind(aws, abortEnvironmentUpdate),
    restartAppServer: bind(aws, restartAppServer),
    smokeCheck,
    pruneReleaseArtifacts: bind(aws, pruneReleaseArtifacts),
  };
}
