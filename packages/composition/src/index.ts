// @nymote/composition: the devices services use, and the targets that provide them.
export type { Clock, Connection, ConnectionAcceptor, Devices, Listener, Log, Network, Random } from './devices.js';
export { deliver } from './devices.js';
export { FakeClock } from './fake-clock.js';
export { SeededRandom } from './seeded-random.js';
export { MemoryNetwork } from './memory-network.js';
export { MemorySocket } from './memory-socket.js';
export { memoryDevices, nodeDevices, type MemoryDevices } from './targets.js';
