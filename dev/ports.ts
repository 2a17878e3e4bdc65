import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/*
 * Ports for things that must keep their port for the whole run (appservice listeners written into
 * registrations, Synapse across a stop/start) come from below the kernel's ephemeral range: a port
 * that the kernel hands out for "listen on 0" or as the source port of an outgoing connection can
 * never collide with them, even while their owner is down. Short-lived servers should listen on 0.
 * The slot ports, chosen once by the global setup but listened on only when a test file claims the
 * slot, get a band of their own so that ports picked later in worker processes cannot take them.
 */

export const SLOT_PORT_RANGE: readonly [number, number] = [10_000, 20_000];

const taken = new Set<number>();

function ephemeralLow(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const n = Number(low);
    if (Number.isInteger(n) && n > 0) return n;
  } catch {
    // Not Linux: fall back to the IANA ephemeral range.
  }
  return 49152;
}

/** Whether something could listen on `port` at `host` right now. */
export function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function kernelPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host }, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface FreePortOptions {
  host?: string;
  /** Inclusive low, exclusive high; defaults to the band between the slot ports and the ephemeral range. */
  range?: readonly [number, number];
}

/** A port that is free now on `host`, never returned twice by this process. */
export async function freePort(options: FreePortOptions = {}): Promise<number> {
  const host = options.host ?? '127.0.0.1';
  const [low, high] = options.range ?? [SLOT_PORT_RANGE[1], ephemeralLow()];
  if (high - low >= 1000) {
    for (let attempt = 0; attempt < 200; attempt++) {
      const port = low + Math.floor(Math.random() * (high - low));
      if (taken.has(port)) continue;
      taken.add(port);
      if (await canListen(port, host)) return port;
    }
  }
  for (;;) {
    const port = await kernelPort(host);
    if (!taken.has(port)) {
      taken.add(port);
      return port;
    }
  }
}

/** `count` distinct free ports. */
export async function freePorts(count: number, options: FreePortOptions = {}): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) ports.push(await freePort(options));
  return ports;
}
