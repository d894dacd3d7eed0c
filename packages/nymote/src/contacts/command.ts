import { ADDRESS_BOOKS } from '../transfer/kinds.js';
import { transferCommand } from '../transfer/group.js';

/** `nymote contacts import|export`. */
export const contactsCommand = transferCommand(ADDRESS_BOOKS, 'address books: import and export .vcf files',
  `Address books of the users of the data directory ("nymote user add"), as the
CardDAV server ("nymote dav serve") keeps them: import a whole .vcf file as
one commit, export an address book as one .vcf file.`);
