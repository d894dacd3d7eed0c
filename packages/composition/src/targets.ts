import { randomBytes } from 'node:crypto';
import type { Devices, Log } from './devices.js';
import { FakeClock } from './fake-clock.js';
import { MemoryNetwork } from './memory-network.js';
import { NodeNetwork } from './node-network.js';
import { SeededRandom } from './seeded-random.js';

/** The node target: real sockets (TLS by node:tls over them), the system clock, the OS's randomness. */
export function nodeDevices(log: Log = () => {}): Devices {
  return {
    network: new NodeNetwork(),
    clock: { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
    random: { bytes: (n) => new Uint8Array(randomBytes(n)) },
    log,
  };
}

export interface MemoryDevices extends Devices {
  network: MemoryNetwork;
  clock: FakeClock;
  /** What was logged, in order. */
  logged: { service: string; message: string; fields?: Record<string, unknown> }[];
}

/** The memory target: a whole system in one process (real TLS over its pipes), with a clock tests move and seeded randomness. */
export function memoryDevices(options: { seed?: string; start?: number } = {}): MemoryDevices {
  const clock = new FakeClock(options.start);
  const logged: MemoryDevices['logged'] = [];
  return {
    network: new MemoryNetwork(clock),
    clock,
    random: new SeededRandom(options.seed ?? 'nymote'),
    log: (service, message, fields) => logged.push({ service, message, ...(fields ? { fields } : {}) }),
    logged,
  };
}
