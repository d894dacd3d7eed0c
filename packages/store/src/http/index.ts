// @nymote/store/server: the store over HTTP (JSON API, watch stream, and git smart HTTP).
export { createStoreServer, createStoreHandler, StoreServer } from './server.js';
export { createGitHttpHandler, type GitHttpOptions } from './git-http.js';
export type { ApiAuthorizer, HttpHandler, StoreServerOptions } from './types.js';
export { ROUTES, type Route, type Method } from './api.js';
export { HttpError } from './errors.js';
