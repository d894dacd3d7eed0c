// git http-backend behind node:http on 127.0.0.1: the same runner the store's sync tests use.
export { startHttpBackend, type HttpBackend } from '../../packages/store/dist/test/helpers/http-backend.js';
