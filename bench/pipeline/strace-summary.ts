/**
 * Reads an `strace -f -e trace=connect,sendto,sendmsg,sendmmsg` log and counts the socket
 * destinations, split into loopback and everything else — the evidence that nothing in the
 * pipeline (our code, promptfoo, the openai SDK, DNS) tries to leave the machine.
 */
export interface DestinationCount {
  destination: string;
  calls: number;
  /** Distinct results, e.g. `-1 ECONNREFUSED`, `-1 EINPROGRESS`. */
  results: string[];
}

export interface StraceSummary {
  loopback: DestinationCount[];
  external: DestinationCount[];
  /** Unix-socket connects (tsx's IPC pipe and the like). */
  unix: number;
}

const INET = /sin_port=htons\((\d+)\), sin_addr=inet_addr\("([^"]+)"\)/;
const INET6 = /sin6_port=htons\((\d+)\).*?inet_pton\(AF_INET6, "([^"]+)"/;
const RESULT = /\)\s+=\s+(-?\d+(?: [A-Z]+)?)/;

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address === '::ffff:127.0.0.1';
}

export function summariseStrace(log: string): StraceSummary {
  const counts = new Map<string, { calls: number; results: Set<string> }>();
  let unix = 0;
  for (const line of log.split('\n')) {
    if (!/\b(connect|sendto|sendmsg|sendmmsg)\(/.test(line)) continue;
    if (line.includes('sa_family=AF_UNIX')) {
      unix++;
      continue;
    }
    const m = INET.exec(line) ?? INET6.exec(line);
    if (!m || m[1] === undefined || m[2] === undefined) continue;
    const destination = m[2].includes(':') ? `[${m[2]}]:${m[1]}` : `${m[2]}:${m[1]}`;
    const entry = counts.get(destination) ?? { calls: 0, results: new Set<string>() };
    entry.calls++;
    const r = RESULT.exec(line)?.[1];
    if (r !== undefined) entry.results.add(r.startsWith('-1') ? r : 'ok');
    counts.set(destination, entry);
  }
  const loopback: DestinationCount[] = [];
  const external: DestinationCount[] = [];
  for (const [destination, { calls, results }] of [...counts].sort((a, b) => b[1].calls - a[1].calls)) {
    const address = destination.replace(/^\[|\]?:\d+$/g, '');
    (isLoopback(address) ? loopback : external).push({ destination, calls, results: [...results].sort() });
  }
  return { loopback, external, unix };
}
