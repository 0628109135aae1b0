import net from 'node:net';

/**
 * A TCP proxy in front of the sim's SFTP port that counts the bytes clients send (what went over
 * the wire, SSH framing included) and can cap their rate, so a test can stop an upload halfway
 * and see what the retry sent again.
 */
export interface CountingProxy {
  port: number;
  /** Bytes received from clients so far, all connections. */
  readonly clientBytes: number;
  close(): Promise<void>;
}

export async function startCountingProxy(upstreamHost: string, upstreamPort: number, opts: { bytesPerSecond?: number } = {}): Promise<CountingProxy> {
  let clientBytes = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(upstreamPort, upstreamHost);
    sockets.add(client).add(upstream);
    const gone = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', gone).on('close', gone);
    upstream.on('error', gone).on('close', gone);
    client.on('data', (chunk: Buffer) => {
      clientBytes += chunk.length;
      if (!upstream.write(chunk)) client.pause();
      if (opts.bytesPerSecond) {
        client.pause();
        setTimeout(() => client.resume(), (chunk.length / opts.bytesPerSecond) * 1000);
      }
    });
    upstream.on('drain', () => client.resume());
    upstream.on('data', (chunk: Buffer) => {
      if (!client.write(chunk)) upstream.pause();
    });
    client.on('drain', () => upstream.resume());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get clientBytes() {
      return clientBytes;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
