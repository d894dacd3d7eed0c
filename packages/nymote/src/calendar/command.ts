import { CALENDARS } from '../transfer/kinds.js';
import { transferCommand } from '../transfer/group.js';

/** `nymote calendar import|export`. */
export const calendarCommand = transferCommand(CALENDARS, 'calendars: import and export .ics files',
  `Calendars of the users of the data directory ("nymote user add"), as the
CalDAV server ("nymote dav serve") keeps them: import a whole .ics file as one
commit, export a calendar as one .ics file.`);
