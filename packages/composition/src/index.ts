// @nymote/composition: the devices services use, and the targets that provide them.
export type {
  CertificatePair, ClientTls, Clock, ConnectOptions, Connection, ConnectionAcceptor, ConnectionServer, Devices, Listener, Log, Network, Random, SecureConnection, ServerTls,
} from './devices.js';
export { deliver, encryptConnections, isSecure } from './devices.js';
export { FakeClock } from './fake-clock.js';
export { SeededRandom } from './seeded-random.js';
export { MemoryNetwork } from './memory-network.js';
export { NodeNetwork } from './node-network.js';
export { MemorySocket } from './memory-socket.js';
export { memoryDevices, nodeDevices, type MemoryDevices } from './targets.js';
