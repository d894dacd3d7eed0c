import type { Clock } from './devices.js';

interface Timer { at: number; seq: number; fn: () => void }

/** A clock that moves only when told to: timers fire, in order, as `advance` passes them. */
export class FakeClock implements Clock {
  private time: number;
  private seq = 0;
  private readonly timers = new Set<Timer>();

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const t: Timer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.add(t);
    return t;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as Timer);
  }

  /** Moves time forward by `ms`, firing every timer due by then (each at its own time). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.timers].filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers.delete(due);
      this.time = Math.max(this.time, due.at);
      due.fn();
    }
    this.time = end;
  }

  /** Timers waiting. */
  get pending(): number {
    return this.timers.size;
  }
}
