export { createImapServer, type ImapServerOptions } from './server.js';
