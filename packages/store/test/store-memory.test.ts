import { storeSuite } from './conformance/store-suite.js';
import { memoryBackend } from '../src/backend/memory.js';

storeSuite({ name: 'memory', make: async () => ({ backend: memoryBackend(), dispose: async () => {} }) });
