import { storeSuite } from './conformance/store-suite.js';
import { initRepository } from '../src/node.js';
import { tempDir } from './helpers/git.js';

storeSuite({
  name: 'on-disk',
  make: async () => {
    const { dir, cleanup } = tempDir();
    const backend = await initRepository(dir);
    return { backend, dispose: async () => { await backend.close(); cleanup(); } };
  },
});
