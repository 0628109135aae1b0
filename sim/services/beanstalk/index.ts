import { applicationHandlers } from './applications.js';
import { configurationHandlers } from './configuration.js';
import { environmentHandlers } from './environments.js';
import { eventHandlers } from './events.js';
import { platformHandlers } from './platforms.js';
import type { QueryService } from '../../protocols/types.js';

export { advanceBeanstalk } from './state-machine.js';

export const beanstalkService: QueryService = {
  name: 'elasticbeanstalk',
  signingName: 'elasticbeanstalk',
  iamPrefix: 'elasticbeanstalk',
  namespace: 'http://elasticbeanstalk.amazonaws.com/docs/2010-12-01/',
  handlers: { ...applicationHandlers, ...environmentHandlers, ...eventHandlers, ...platformHandlers, ...configurationHandlers },
};
