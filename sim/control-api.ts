import type { IncomingMessage, ServerResponse } from 'node:http';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { faultSpecSchema } from './fault-spec.js';
import { sendJson } from './http-util.js';
import { ControlError, readJson, readJsonObject } from './control-request.js';
import type { PolicyDocument } from './auth/policy.js';
import { buildLedger } from './ledger.js';
import { emptyState } from './state.js';
import { advanceWorld } from './world.js';
import { everyRegion } from './regions.js';
import { publishedMessages } from './sns-published.js';
import { handleDockerControl } from './docker-api.js';
import type { SimContext } from './context.js';

/** `/_sim/...`: the test and demo harness's view into the sim (never part of AWS). */
export async function handleControl(req: IncomingMessage, res: ServerResponse, path: string, ctx: SimContext): Promise<void> {
  try {
    const route = `${req.method ?? 'GET'} ${path.replace(/\/+$/, '')}`;
    switch (route) {
      case 'GET /_sim':
      case 'GET /_sim/health':
        sendJson(res, 200, { ok: true });
        return;
      case 'GET /_sim/ledger':
        advanceWorld(ctx);
        sendJson(res, 200, buildLedger(ctx.store.state));
        return;
      case 'GET /_sim/state':
        advanceWorld(ctx);
        ctx.store.save();
        sendJson(res, 200, ctx.store.state);
        return;
      case 'GET /_sim/sns/published':
        sendJson(res, 200, { published: publishedMessages(ctx.store.state) });
        return;
      case 'GET /_sim/sftp/writes':
        sendJson(res, 200, { writes: Object.fromEntries(ctx.sftpWrites) });
        return;
      case 'GET /_sim/faults':
        sendJson(res, 200, { faults: ctx.faults.list() });
        return;
      case 'POST /_sim/faults': {
        const parsed = faultSpecSchema.safeParse(await readJson(req));
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
          throw new ControlError(400, `Invalid fault spec: ${where}${issue?.message ?? 'unknown problem'}`);
        }
        sendJson(res, 201, ctx.faults.add(parsed.data));
        return;
      }
      case 'DELETE /_sim/faults':
        ctx.faults.clear();
        sendJson(res, 200, { faults: [] });
        return;
      case 'POST /_sim/principals': {
        const body = await readJsonObject(req);
        const { accessKeyId, secretAccessKey, userName, policy } = body;
        if (typeof accessKeyId !== 'string' || typeof secretAccessKey !== 'string') throw new ControlError(400, 'accessKeyId and secretAccessKey must be strings');
        if (policy !== undefined && (typeof policy !== 'object' || policy === null || !('Statement' in policy))) throw new ControlError(400, 'policy must be an IAM policy document with a Statement');
        const principal = ctx.auth.add({
          accessKeyId, secretAccessKey, ...(typeof userName === 'string' ? { userName } : {}), ...(policy ? { policy: policy as PolicyDocument } : {}),
        });
        sendJson(res, 201, { arn: principal.arn });
        return;
      }
      case 'POST /_sim/reset':
        await resetSim(ctx);
        sendJson(res, 200, { ok: true });
        return;
      default:
        if (path.startsWith('/_sim/docker/')) {
          await handleDockerControl(req, res, path, ctx);
          return;
        }
        throw new ControlError(404, `No control route ${route}; see docs/SIM.md for /_sim routes.`);
    }
  } catch (err) {
    if (err instanceof ControlError) sendJson(res, err.status, { error: err.message });
    else throw err;
  }
}

async function resetSim(ctx: SimContext): Promise<void> {
  for (const [, region] of everyRegion(ctx.store.state)) {
    for (const server of Object.values(region.transfer.servers)) ctx.hooks.closeSftpSessions(server.serverId);
    for (const env of Object.values(region.eb.environments)) await ctx.hooks.closeEnvironmentListener(env.environmentId);
  }
  ctx.faults.clear();
  ctx.sftpWrites.clear();
  ctx.store.replace(emptyState());
  await rm(join(ctx.stateDir, 'efs'), { recursive: true, force: true });
  await rm(join(ctx.stateDir, 's3'), { recursive: true, force: true });
  await rm(join(ctx.stateDir, 'transfer-s3'), { recursive: true, force: true });
}
