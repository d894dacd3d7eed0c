export { createImapServer, type ImapServer, type ImapServerOptions } from './server.js';
