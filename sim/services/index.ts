import { transferHandlers } from './transfer.js';
import { ECR_PUBLIC_REGIONS, ecrHandlers, ecrPublicHandlers } from './ecr.js';
import { efsService } from './efs.js';
import { stsService } from './sts.js';
import { iamService } from './iam.js';
import { s3Service } from './s3.js';
import { secretsManagerHandlers } from './secrets-manager.js';
import { ssmHandlers } from './ssm.js';
import { beanstalkService } from './beanstalk/index.js';
import { snsService } from './sns.js';
import type { ServiceSet } from '../protocols/types.js';

/** Every AWS service the sim answers, by wire protocol. */
export const services: ServiceSet = {
  json: [
    { name: 'transfer', iamPrefix: 'transfer', targetPrefix: 'TransferService', validationCode: 'InvalidRequestException', handlers: transferHandlers },
    { name: 'ecr', iamPrefix: 'ecr', targetPrefix: 'AmazonEC2ContainerRegistry_V20150921', validationCode: 'InvalidParameterException', handlers: ecrHandlers },
    { name: 'ecr-public', iamPrefix: 'ecr-public', targetPrefix: 'SpencerFrontendService', validationCode: 'InvalidParameterException', handlers: ecrPublicHandlers, regions: ECR_PUBLIC_REGIONS },
    { name: 'secretsmanager', iamPrefix: 'secretsmanager', targetPrefix: 'secretsmanager', validationCode: 'InvalidParameterException', handlers: secretsManagerHandlers },
    { name: 'ssm', iamPrefix: 'ssm', targetPrefix: 'AmazonSSM', validationCode: 'ValidationException', handlers: ssmHandlers },
  ],
  query: [stsService, iamService, beanstalkService, snsService],
  rest: [efsService, s3Service],
};
