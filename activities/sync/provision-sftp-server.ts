import { CreateServerCommand } from '@aws-sdk/client-transfer';
import { log } from '@temporalio/activity';
import type { AwsClientFactory } from '../aws/clients.js';
import { rethrowAws } from '../aws/errors.js';
import { listOwnedServers } from './runbook-servers.js';
import { ownerTags, TagKeys, type ServerOwner } from './server-tags.js';
import type { SyncTarget } from './sync-target.js';

export interface ProvisionInput {
  target: SyncTarget;
  owner: ServerOwner;
  loggingRoleArn?: string;
}

export interface ProvisionedServer {
  serverId: string;
  /** ISO time the server was created (from its tag), the start of its bill. */
  createdAt: string;
  /** True when a retry found the server an earlier attempt created. */
  reused: boolean;
}

/**
 * Creates the SFTP server for this workflow run, or finds the one an earlier attempt created:
 * the tags name the run, and a retry never pays for a second server.
 */
export async function provisionSftpServer(aws: AwsClientFactory, input: ProvisionInput): Promise<ProvisionedServer> {
  const { transfer } = aws(input.target);
  try {
    const owned = await listOwnedServers(transfer, input.owner);
    const existing = owned[0];
    if (existing) {
      log.info('found the server an earlier attempt created', { serverId: existing.serverId, state: existing.state });
      return { serverId: existing.serverId, createdAt: existing.tags[TagKeys.createdAt] ?? new Date().toISOString(), reused: true };
    }
    const createdAt = new Date();
    // If CreateServer's answer were lost and the SDK retried, a second tagged server could
    // exist: teardown deletes every server tagged with this run, not only the one returned.
    const created = await transfer.send(
      new CreateServerCommand({
        Domain: 'EFS',
        Protocols: ['SFTP'],
        IdentityProviderType: 'SERVICE_MANAGED',
        EndpointType: 'PUBLIC',
        ...(input.loggingRoleArn ? { LoggingRole: input.loggingRoleArn } : {}),
        Tags: ownerTags(input.owner, createdAt),
      }),
    );
    if (!created.ServerId) throw new Error('CreateServer returned no ServerId');
    log.info('created SFTP server', { serverId: created.ServerId });
    return { serverId: created.ServerId, createdAt: createdAt.toISOString(), reused: false };
  } catch (err) {
    rethrowAws(err, 'the Transfer server lookup or creation');
  }
}
