import type { Accounts } from '@nymote/accounts';
import type { Mailstores } from '../mailstore/mailstores.js';
import { localPart } from './addresses.js';

export interface DeliveryOptions {
  accounts: Accounts;
  mailstores: Mailstores;
  /** Mail for NAME@domain is local. */
  domain: string;
  log?: (line: string) => void;
}

/** Puts mail for local users into their INBOX: one commit per recipient. */
export class LocalDelivery {
  constructor(private readonly options: DeliveryOptions) {}

  get domain(): string {
    return this.options.domain;
  }

  /** The local user an address is for, if that user exists. */
  async recipient(address: string): Promise<string | undefined> {
    const name = localPart(address, this.options.domain);
    if (name === undefined) return undefined;
    return (await this.options.accounts.get(name).catch(() => undefined))?.name;
  }

  /** Delivers `raw` (headers to prepend included) to each user's INBOX; returns each UID. */
  async deliver(raw: Uint8Array, from: string, users: readonly string[]): Promise<number[]> {
    const uids: number[] = [];
    for (const user of new Set(users)) {
      const m = this.options.mailstores.of(user);
      await m.ensureDefaults();
      const r = await m.append('INBOX', raw, { delivery: { from: from || 'the mail system' } });
      this.options.log?.(`delivered ${raw.length} bytes from <${from}> to ${user} INBOX uid ${r.uid}`);
      uids.push(r.uid);
    }
    return uids;
  }
}
