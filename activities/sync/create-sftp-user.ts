import { CreateUserCommand, DescribeUserCommand } from '@aws-sdk/client-transfer';
import { log } from '@temporalio/activity';
import type { AwsClientFactory } from '../aws/clients.js';
import { awsErrorCode, rethrowAws } from '../aws/errors.js';
import type { SyncTarget } from './sync-target.js';

export interface CreateUserInput {
  target: SyncTarget;
  serverId: string;
  userName: string;
  roleArn: string;
  fileSystemId: string;
  posixUid: number;
  posixGid: number;
}

/**
 * The user the sync logs in as, homed at the file system's root. It has no key: each upload
 * attempt imports its own and deletes it afterwards.
 */
export async function createSftpUser(aws: AwsClientFactory, input: CreateUserInput): Promise<{ userName: string; homeDirectory: string; existed: boolean }> {
  const { transfer } = aws(input.target);
  const homeDirectory = `/${input.fileSystemId}`;
  try {
    await transfer.send(
      new CreateUserCommand({
        ServerId: input.serverId,
        UserName: input.userName,
        Role: input.roleArn,
        HomeDirectory: homeDirectory,
        HomeDirectoryType: 'PATH',
        PosixProfile: { Uid: input.posixUid, Gid: input.posixGid },
        Tags: [{ Key: 'runbook:createdBy', Value: 'release-runbook' }],
      }),
    );
    log.info('created SFTP user', { serverId: input.serverId, userName: input.userName });
    return { userName: input.userName, homeDirectory, existed: false };
  } catch (err) {
    // A retry after a lost answer: the user is there already, which is what we wanted.
    if (awsErrorCode(err) === 'ResourceExistsException') {
      await transfer.send(new DescribeUserCommand({ ServerId: input.serverId, UserName: input.userName }));
      return { userName: input.userName, homeDirectory, existed: true };
    }
    rethrowAws(err, 'CreateUser');
  }
}
