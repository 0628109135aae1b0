import { CliArgError, parseSimArgs } from './cli-args.js';
import { startSim } from './index.js';

async function run(): Promise<void> {
  let args;
  try {
    args = parseSimArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof CliArgError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const sim = await startSim({
    port: args.port,
    sftpPort: args.sftpPort,
    websitePort: args.websitePort,
    stateDir: args.stateDir,
    transferStartSeconds: args.transferStartSeconds,
    beanstalkUpdateSeconds: args.beanstalkUpdateSeconds,
  });
  const sftp = `${sim.sftpHost}:${sim.sftpPort}`;
  if (args.json) {
    console.log(JSON.stringify({ endpoint: sim.endpoint, sftp, website: sim.websiteEndpoint, control: sim.controlUrl, stateDir: sim.stateDir }));
  } else {
    console.log(`sim ready: endpoint ${sim.endpoint}  sftp ${sftp}  website ${sim.websiteEndpoint}  control ${sim.controlUrl}  state ${sim.stateDir}`);
  }
  const stop = (): void => {
    sim.close().then(() => process.exit(0), (err: unknown) => {
      console.error('sim: close failed', err);
      process.exit(1);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

run().catch((err: unknown) => {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    console.error(`sim: a port is already in use (${(err as Error).message}); pick another with --port/--sftp-port/--website-port, or 0 for a free one.`);
    process.exit(2);
  }
  console.error('sim: failed to start', err);
  process.exit(1);
});
