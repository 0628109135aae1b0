import type { IncomingMessage, ServerResponse } from 'node:http';
import { ControlError } from './control-api.js';
import type { SimContext } from './context.js';

/** Routes used by the docker CLI test double (sim/docker-double/). */
export async function handleDockerControl(_req: IncomingMessage, _res: ServerResponse, path: string, _ctx: SimContext): Promise<void> {
  throw new ControlError(404, `No docker route ${path}`);
}
