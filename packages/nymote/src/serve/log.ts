/** One line per event: `2026-11-26T12:00:00Z smtp delivered …`, or the same as a JSON object. */
export type EventLog = (service: string, message: string, fields?: Record<string, unknown>) => void;

export function eventLog(write: (line: string) => void, format: 'text' | 'json', clock: () => number = Date.now): EventLog {
  return (service, message, fields = {}) => {
    const time = new Date(clock()).toISOString();
    if (format === 'json') write(`${JSON.stringify({ time, service, message, ...fields })}\n`);
    else write(`${time} ${service} ${message}${Object.keys(fields).length ? ` ${Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')}` : ''}\n`);
  };
}
