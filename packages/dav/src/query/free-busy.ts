import { ICAL, parseCalendar, toMs } from './ical.js';
import { eventSpan, instancesOf } from './recurrence.js';

type BusyType = 'BUSY' | 'BUSY-TENTATIVE' | 'BUSY-UNAVAILABLE';

function fmt(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** Sorted, merged, clipped periods: overlapping or touching periods become one. */
function merge(periods: [number, number][]): [number, number][] {
  periods.sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [s, e] of periods) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/**
 * The free-busy-query answer (RFC 4791 7.10): one VFREEBUSY over [start, end) with the busy time
 * of every opaque, non-cancelled VEVENT occurrence (STATUS:TENTATIVE gives BUSY-TENTATIVE) and the
 * busy periods of stored VFREEBUSY components, clipped to the range, merged per FBTYPE, in UTC.
 * Zero-length occurrences take no time and are left out. Unparseable objects are skipped.
 */
export function freeBusy(icsList: string[], start: Date, end: Date): string {
  const rs = start.getTime();
  const re = end.getTime();
  const busy = new Map<BusyType, [number, number][]>();
  const add = (type: BusyType, s: number, e: number) => {
    const cs = Math.max(s, rs);
    const ce = Math.min(e, re);
    if (ce <= cs) return;
    const list = busy.get(type) ?? [];
    list.push([cs, ce]);
    busy.set(type, list);
  };
  for (const ics of icsList) {
    const vcal = parseCalendar(ics);
    if (!vcal) continue;
    try {
      for (const inst of instancesOf(vcal.getAllSubcomponents('vevent'), { until: re, from: rs })) {
        const c = inst.component;
        const transp = String(c.getFirstPropertyValue('transp') ?? 'OPAQUE').toUpperCase();
        const status = String(c.getFirstPropertyValue('status') ?? '').toUpperCase();
        if (transp === 'TRANSPARENT' || status === 'CANCELLED') continue;
        const span = eventSpan(inst);
        if (span) add(status === 'TENTATIVE' ? 'BUSY-TENTATIVE' : 'BUSY', span.start, span.end);
      }
      for (const fb of vcal.getAllSubcomponents('vfreebusy')) {
        for (const p of fb.getAllProperties('freebusy')) {
          const type = String(p.getParameter('fbtype') ?? 'BUSY').toUpperCase();
          if (type !== 'BUSY' && type !== 'BUSY-TENTATIVE' && type !== 'BUSY-UNAVAILABLE') continue;
          for (const v of p.getValues()) {
            if (v instanceof ICAL.Period) add(type, toMs(v.start), toMs(v.getEnd()));
          }
        }
      }
    } catch {
      continue;
    }
  }
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Nymote//DAV//EN',
    'BEGIN:VFREEBUSY',
    `DTSTAMP:${fmt(Date.now())}`,
    `DTSTART:${fmt(rs)}`,
    `DTEND:${fmt(re)}`,
  ];
  for (const type of ['BUSY', 'BUSY-TENTATIVE', 'BUSY-UNAVAILABLE'] as const) {
    for (const [s, e] of merge(busy.get(type) ?? [])) {
      lines.push(`FREEBUSY${type === 'BUSY' ? '' : `;FBTYPE=${type}`}:${fmt(s)}/${fmt(e)}`);
    }
  }
  lines.push('END:VFREEBUSY', 'END:VCALENDAR');
  return lines.join('\r\n') + '\r\n';
}
