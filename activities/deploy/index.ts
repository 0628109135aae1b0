import type { AwsClientFactory } from '../aws/clients.js';
import { createApplicationVersion, type CreateVersionInput } from './application-version.js';
import { buildImage } from './build-image.js';
import { checkDeployTarget, type CheckDeployTargetInput } from './check-deploy-target.js';
import { createEnvironment, type CreateEnvironmentInput } from './ensure-environment.js';
import { pruneReleaseArtifacts, type PruneInput } from './prune-release-artifacts.js';
import { pushImage, resolvePushedImage, type PushImageInput, type ResolveImageInput } from './push-image.js';
import { restartAppServer, type RestartInput } from './restart-app-server.js';
import { abortEnvironmentUpdate, type AbortUpdateInput } from './rollback.js';
import { smokeCheck } from './smoke-check.js';
import { updateEnvironment, type UpdateEnvironmentInput } from './update-environment.js';
import { uploadSourceBundle, type UploadBundleInput } from './upload-bundle.js';
import { waitForHealthyEnvironment, type HealthWaitInput } from './wait-for-healthy-environment.js';

/** The deploy's activities, bound to the AWS client factory (the real account or the sim). */
export function createDeployActivities(deps: { aws: AwsClientFactory }) {
  const { aws } = deps;
  return {
    checkDeployTarget: (input: CheckDeployTargetInput) => checkDeployTarget(aws, input),
    buildImage,
    pushImage: (input: PushImageInput) => pushImage(aws, input),
    resolvePushedImage: (input: ResolveImageInput) => resolvePushedImage(aws, input),
    uploadSourceBundle: (input: UploadBundleInput) => uploadSourceBundle(aws, input),
    createApplicationVersion: (input: CreateVersionInput) => createApplicationVersion(aws, input),
    createEnvironment: (input: CreateEnvironmentInput) => createEnvironment(aws, input),
    updateEnvironment: (input: UpdateEnvironmentInput) => updateEnvironment(aws, input),
    waitForHealthyEnvironment: (input: HealthWaitInput) => waitForHealthyEnvironment(aws, input),
    abortEnvironmentUpdate: (input: AbortUpdateInput) => abortEnvironmentUpdate(aws, input),
    restartAppServer: (input: RestartInput) => restartAppServer(aws, input),
    smokeCheck,
    pruneReleaseArtifacts: (input: PruneInput) => pruneReleaseArtifacts(aws, input),
  };
}
