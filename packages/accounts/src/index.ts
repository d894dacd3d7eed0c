// @nymote/accounts: the people a Nymote serves, kept in the store (Node only: scrypt is node:crypto's).
export { Accounts, AccountError, ACCOUNTS_BRANCH, MIN_PASSWORD_LENGTH, dataBranch } from './accounts.js';
export type { Account, AccountErrorCode, AccountsOptions } from './accounts.js';
export { isValidAccountName, accountNameProblem } from './names.js';
export { hashPassword, verifyPassword, needsRehash, DEFAULT_COST, type ScryptCost } from './password.js';
export { LoginLimiter, LoginThrottled, addressKey, isLoopback, type LoginLimits } from './login-limiter.js';
