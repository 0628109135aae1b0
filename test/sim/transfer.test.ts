import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  TransferClient, CreateServerCommand, DescribeServerCommand, CreateUserCommand, DescribeUserCommand,
  ListUsersCommand, DeleteUserCommand, ImportSshPublicKeyCommand, DeleteSshPublicKeyCommand, TagResourceCommand,
  ListTagsForResourceCommand, DeleteServerCommand, StopServerCommand, StartServerCommand, ListServersCommand,
  paginateListServers, waitUntilServerOnline, waitUntilServerOffline,
} from '@aws-sdk/client-transfer';
import { simControl } from '../../sim/control-client.js';
import type { RunningSim } from '../../sim/index.js';
import { expectAwsError, makeKeyPair, rawJson, sdkOptions, startFastSim } from './helpers.js';

const waiter = { maxWaitTime: 10, minDelay: 0.1, maxDelay: 0.2 };

void describe('Transfer Family API', () => {
  let sim: RunningSim;
  let transfer: TransferClient;
  const key = makeKeyPair();

  before(async () => {
    sim = await startFastSim();
    transfer = new TransferClient(sdkOptions(sim));
  });
  after(async () => {
    transfer.destroy();
    await sim.close();
    key.cleanup();
  });

  const newEfsServer = async (tags = [{ Key: 'release', Value: 'r1' }]): Promise<string> => {
    const { ServerId } = await transfer.send(new CreateServerCommand({
      Domain: 'EFS', Protocols: ['SFTP'], IdentityProviderType: 'SERVICE_MANAGED', EndpointType: 'PUBLIC', Tags: tags,
    }));
    assert.ok(ServerId);
    return ServerId;
  };

  void it('creates a server that goes STARTING → ONLINE (waiter) and describes it', async () => {
    const serverId = await newEfsServer();
    assert.match(serverId, /^s-[0-9a-f]{17}$/);
    const first = await transfer.send(new DescribeServerCommand({ ServerId: serverId }));
    assert.equal(first.Server?.State, 'STARTING');
    await waitUntilServerOnline({ client: transfer, ...waiter }, { ServerId: serverId });
    const { Server } = await transfer.send(new DescribeServerCommand({ ServerId: serverId }));
    assert.equal(Server?.State, 'ONLINE');
    assert.equal(Server?.Domain, 'EFS');
    assert.deepEqual(Server?.Protocols, ['SFTP']);
    assert.equal(Server?.Arn, `arn:aws:transfer:us-east-1:123456789012:server/${serverId}`);
    assert.match(Server?.HostKeyFingerprint ?? '', /^SHA256:/);
    assert.deepEqual(Server?.Tags, [{ Key: 'release', Value: 'r1' }]);
  });

  void it('stops and starts a server', async () => {
    const serverId = await newEfsServer();
    await waitUntilServerOnline({ client: transfer, ...waiter }, { ServerId: serverId });
    await transfer.send(new StopServerCommand({ ServerId: serverId }));
    assert.equal((await transfer.send(new DescribeServerCommand({ ServerId: serverId }))).Server?.State, 'STOPPING');
    await waitUntilServerOffline({ client: transfer, ...waiter }, { ServerId: serverId });
    await transfer.send(new StartServerCommand({ ServerId: serverId }));
    await waitUntilServerOnline({ client: transfer, ...waiter }, { ServerId: serverId });
  });

  void it('paginates ListServers', async () => {
    for (let i = 0; i < 3; i++) await newEfsServer();
    const ids: string[] = [];
    let pages = 0;
    for await (const page of paginateListServers({ client: transfer, pageSize: 2 }, {})) {
      pages++;
      assert.ok((page.Servers ?? []).length <= 2);
      ids.push(...(page.Servers ?? []).map((s) => s.ServerId ?? ''));
    }
    const all = await transfer.send(new ListServersCommand({}));
    assert.equal(ids.length, all.Servers?.length);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(pages >= 3);
    await expectAwsError(transfer.send(new ListServersCommand({ NextToken: 'garbage' })), 'InvalidNextTokenException');
  });

  void it('manages users, keys and tags', async () => {
    const serverId = await newEfsServer();
    await transfer.send(new CreateUserCommand({
      ServerId: serverId, UserName: 'deploy', Role: 'arn:aws:iam::123456789012:role/transfer-efs-access',
      HomeDirectory: '/fs-0123456789abcdef0/site', HomeDirectoryType: 'PATH', PosixProfile: { Uid: 1000, Gid: 1000 },
      SshPublicKeyBody: key.publicKey,
    }));
    await expectAwsError(transfer.send(new CreateUserCommand({
      ServerId: serverId, UserName: 'deploy', Role: 'r', PosixProfile: { Uid: 1, Gid: 1 },
    })), 'ResourceExistsException');
    const described = await transfer.send(new DescribeUserCommand({ ServerId: serverId, UserName: 'deploy' }));
    assert.equal(described.User?.HomeDirectory, '/fs-0123456789abcdef0/site');
    assert.equal(described.User?.SshPublicKeys?.length, 1);
    assert.ok(described.User?.SshPublicKeys?.[0]?.DateImported instanceof Date);
    await expectAwsError(transfer.send(new ImportSshPublicKeyCommand({ ServerId: serverId, UserName: 'deploy', SshPublicKeyBody: key.publicKey })), 'ResourceExistsException');
    await expectAwsError(transfer.send(new ImportSshPublicKeyCommand({ ServerId: serverId, UserName: 'deploy', SshPublicKeyBody: 'ssh-ed25519 notakey' })), 'InvalidRequestException');
    const other = makeKeyPair();
    const imported = await transfer.send(new ImportSshPublicKeyCommand({ ServerId: serverId, UserName: 'deploy', SshPublicKeyBody: other.publicKey }));
    other.cleanup();
    assert.match(imported.SshPublicKeyId ?? '', /^key-[0-9a-f]{17}$/);
    await transfer.send(new DeleteSshPublicKeyCommand({ ServerId: serverId, UserName: 'deploy', SshPublicKeyId: imported.SshPublicKeyId }));
    await expectAwsError(transfer.send(new DeleteSshPublicKeyCommand({ ServerId: serverId, UserName: 'deploy', SshPublicKeyId: imported.SshPublicKeyId })), 'ResourceNotFoundException');

    const listed = await transfer.send(new ListUsersCommand({ ServerId: serverId }));
    assert.deepEqual(listed.Users?.map((u) => [u.UserName, u.SshPublicKeyCount]), [['deploy', 1]]);

    const arn = `arn:aws:transfer:us-east-1:123456789012:server/${serverId}`;
    await transfer.send(new TagResourceCommand({ Arn: arn, Tags: [{ Key: 'owner', Value: 'runbook' }] }));
    const tags = await transfer.send(new ListTagsForResourceCommand({ Arn: arn }));
    assert.deepEqual(tags.Tags, [{ Key: 'release', Value: 'r1' }, { Key: 'owner', Value: 'runbook' }]);

    await transfer.send(new DeleteUserCommand({ ServerId: serverId, UserName: 'deploy' }));
    await expectAwsError(transfer.send(new DescribeUserCommand({ ServerId: serverId, UserName: 'deploy' })), 'ResourceNotFoundException');
  });

  void it('words validation errors like Transfer', async () => {
    const serverId = await newEfsServer();
    // The SDK does not check required members; the service does.
    const missingRole = await expectAwsError(transfer.send(new CreateUserCommand({
      ServerId: serverId, UserName: 'nobody', PosixProfile: { Uid: 1, Gid: 1 },
    } as never)), 'InvalidRequestException');
    assert.match(missingRole.message, /Value null at 'role'/);
    await expectAwsError(transfer.send(new CreateUserCommand({ ServerId: serverId, UserName: 'noposix', Role: 'r' })), 'InvalidRequestException');
    await expectAwsError(transfer.send(new DescribeServerCommand({ ServerId: 's-00000000000000000' })), 'ResourceNotFoundException');
    await expectAwsError(transfer.send(new DescribeServerCommand({ ServerId: 'not-a-server' })), 'InvalidRequestException');

    const wrongType = await rawJson(sim, 'TransferService.DescribeServer', '{"ServerId": 42}');
    assert.equal(wrongType.status, 400);
    assert.equal(wrongType.errorType, 'SerializationException');
    const unknownOp = await rawJson(sim, 'TransferService.LaunchRocket', '{}');
    assert.equal(unknownOp.errorType, 'UnknownOperationException');
    const notJson = await rawJson(sim, 'TransferService.ListServers', '{"Max');
    assert.equal(notJson.errorType, 'SerializationException');
    // Still alive and answering.
    await transfer.send(new ListServersCommand({}));
  });

  void it('fires faults exactly as told: count, rate with seed, stuck and failed starts', async () => {
    const control = simControl(sim.controlUrl);
    await control.addFault({ service: 'transfer', operation: 'ListServers', errorCode: 'ThrottlingException', count: 2 });
    await expectAwsError(transfer.send(new ListServersCommand({})), 'ThrottlingException');
    const second = await expectAwsError(transfer.send(new ListServersCommand({})), 'ThrottlingException');
    assert.equal(second.$metadata?.httpStatusCode, 400);
    await transfer.send(new ListServersCommand({}));
    await transfer.send(new DescribeServerCommand({ ServerId: await newEfsServer() }));

    await control.addFault({ service: '*', errorCode: 'ServiceUnavailableException', rate: 0.5, seed: 7, count: 100 });
    const outcomes: boolean[] = [];
    for (let i = 0; i < 20; i++) {
      outcomes.push(await transfer.send(new ListServersCommand({})).then(() => true, (err: Error) => {
        assert.equal(err.name, 'ServiceUnavailableException');
        return false;
      }));
    }
    const failed = outcomes.filter((ok) => !ok).length;
    const [, rated] = await control.faults();
    assert.equal(rated?.fired, failed);
    assert.ok(failed > 3 && failed < 17, `rate 0.5 fired ${failed}/20`);
    await control.clearFaults();

    await control.addFault({ service: 'transfer', operation: 'CreateServer', serverState: 'START_FAILED', count: 1 });
    const failing = await newEfsServer();
    await assert.rejects(waitUntilServerOnline({ client: transfer, ...waiter }, { ServerId: failing }), /START_FAILED|FAILURE/);
    assert.equal((await transfer.send(new DescribeServerCommand({ ServerId: failing }))).Server?.State, 'START_FAILED');

    await control.addFault({ service: 'transfer', serverState: 'STUCK_STARTING', count: 1 });
    const stuck = await newEfsServer();
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await transfer.send(new DescribeServerCommand({ ServerId: stuck }))).Server?.State, 'STARTING');

    await control.addFault({ service: 'transfer', operation: 'DescribeServer', latencyMs: 300, count: 1 });
    const t0 = Date.now();
    await transfer.send(new DescribeServerCommand({ ServerId: stuck }));
    assert.ok(Date.now() - t0 >= 290);

    await assert.rejects(control.addFault({ service: 'transfer', dropAfterBytes: 10 } as never), /dropAfterBytes applies only to service "sftp"/);
    await assert.rejects(control.addFault({ service: 'nope' } as never), /Invalid fault spec: service/);
  });

  void it('keeps a ledger of billed server time', async () => {
    const control = simControl(sim.controlUrl);
    const serverId = await newEfsServer([{ Key: 'release', Value: 'ledger' }]);
    const before = await control.ledger();
    await new Promise((r) => setTimeout(r, 200));
    await transfer.send(new DeleteServerCommand({ ServerId: serverId }));
    await expectAwsError(transfer.send(new DescribeServerCommand({ ServerId: serverId })), 'ResourceNotFoundException');
    const ledger = await control.ledger();
    const entry = ledger.servers.find((s) => s.serverId === serverId);
    assert.ok(entry);
    assert.equal(entry.state, 'DELETED');
    assert.deepEqual(entry.tags, { release: 'ledger' });
    assert.ok(entry.deletedAt);
    assert.ok(entry.billedSeconds >= 0.2 && entry.billedSeconds < 5);
    assert.equal(ledger.alive, before.alive - 1);
    assert.ok(ledger.billedSeconds >= entry.billedSeconds);
  });
});
