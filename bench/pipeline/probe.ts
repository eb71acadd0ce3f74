/**
 * Evidence that a process has no way off the machine: connects to public addresses must fail at
 * once with "network unreachable" (no route at all — not a firewall that drops packets and makes
 * callers wait), a DNS lookup must fail, and loopback must still work (the offline model server
 * lives there).
 */
import { lookup } from 'node:dns/promises';
import { readlinkSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';

export interface ConnectAttempt {
  target: string;
  connected: boolean;
  /** Node's error code (`ENETUNREACH`, `ECONNREFUSED`, `ETIMEDOUT` when we gave up), or null. */
  code: string | null;
  ms: number;
}

export interface NetworkProbe {
  /** `net:[inode]` of the probing process's network namespace. */
  namespace: string;
  loopback: ConnectAttempt;
  publicConnects: ConnectAttempt[];
  dns: { host: string; resolved: boolean; code: string | null; ms: number };
}

/** Public addresses the probe tries: anycast resolvers that answer from everywhere when reachable. */
export const PUBLIC_TARGETS: ReadonlyArray<{ host: string; port: number }> = [
  { host: '1.1.1.1', port: 443 },
  { host: '8.8.8.8', port: 53 },
  { host: '2606:4700:4700::1111', port: 443 },
];

/** A connect that gives up after `timeoutMs` (a dropped SYN would otherwise wait for minutes). */
export function tryConnect(host: string, port: number, timeoutMs = 3000): Promise<ConnectAttempt> {
  const started = performance.now();
  const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((done) => {
    const socket = connect({ host, port });
    const finish = (connected: boolean, code: string | null) => {
      clearTimeout(timer);
      socket.destroy();
      done({ target, connected, code, ms: Math.round(performance.now() - started) });
    };
    const timer = setTimeout(() => finish(false, 'ETIMEDOUT'), timeoutMs);
    socket.once('connect', () => finish(true, null));
    socket.once('error', (error: NodeJS.ErrnoException) => finish(false, error.code ?? error.message));
  });
}

async function loopbackAttempt(): Promise<ConnectAttempt> {
  const server = createServer((s) => s.end());
  await new Promise<void>((ready, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', ready);
  });
  try {
    return await tryConnect('127.0.0.1', (server.address() as AddressInfo).port);
  } finally {
    server.close();
  }
}

export async function probeNetwork(dnsHost = 'registry.npmjs.org'): Promise<NetworkProbe> {
  const namespace = readlinkSync('/proc/self/ns/net');
  const loopback = await loopbackAttempt();
  const publicConnects = await Promise.all(PUBLIC_TARGETS.map((t) => tryConnect(t.host, t.port)));
  const started = performance.now();
  let dns: NetworkProbe['dns'];
  try {
    await lookup(dnsHost);
    dns = { host: dnsHost, resolved: true, code: null, ms: Math.round(performance.now() - started) };
  } catch (error) {
    dns = {
      host: dnsHost,
      resolved: false,
      code: (error as NodeJS.ErrnoException).code ?? 'error',
      ms: Math.round(performance.now() - started),
    };
  }
  return { namespace, loopback, publicConnects, dns };
}

/** Why the probe does not prove isolation, or [] when it does. `hostNamespace` is the caller's own. */
export function isolationProblems(probe: NetworkProbe, hostNamespace: string, fastMs = 1000): string[] {
  const problems: string[] = [];
  if (probe.namespace === hostNamespace)
    problems.push(`the probe ran in the host's network namespace (${hostNamespace})`);
  if (!probe.loopback.connected)
    problems.push(`loopback does not work (${probe.loopback.code}); the offline model server needs it`);
  for (const a of probe.publicConnects) {
    if (a.connected) problems.push(`${a.target} is reachable`);
    else if (a.code !== 'ENETUNREACH')
      problems.push(`${a.target} failed with ${a.code}, not ENETUNREACH (is there a route that drops packets?)`);
    else if (a.ms > fastMs) problems.push(`${a.target} took ${a.ms} ms to fail (expected immediately)`);
  }
  if (probe.dns.resolved) problems.push(`DNS resolved ${probe.dns.host}`);
  return problems;
}
