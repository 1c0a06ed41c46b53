/**
 * Virtual time, counted in guest CPU cycles (design §4). Nothing here reads the wall clock:
 * time moves only when the VMM calls advance(), so a run is reproducible bit for bit.
 * Events are ordered by (time, insertion sequence) so that ties never depend on heap layout.
 */

interface ClockEvent {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

function before(a: ClockEvent, b: ClockEvent): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

export class VirtualClock {
  private cycles = 0;
  private nextSeq = 1;
  private readonly heap: ClockEvent[] = [];
  /** Cancellation is lazy (a flag); this map lets cancel() find the entry without a heap search. */
  private readonly live = new Map<number, ClockEvent>();

  get now(): number {
    return this.cycles;
  }

  /** Events that are scheduled and not cancelled. */
  get pending(): number {
    return this.live.size;
  }

  advance(cycles: number): void {
    if (!Number.isSafeInteger(cycles) || cycles < 0) {
      throw new Error(`VirtualClock.advance: cycles must be a non-negative integer, got ${cycles}`);
    }
    this.cycles += cycles;
  }

  /** An event in the past is allowed: it is simply due at the next runDue(). */
  schedule(at: number, fn: () => void): number {
    if (!Number.isFinite(at)) throw new Error(`VirtualClock.schedule: time must be finite, got ${at}`);
    const ev: ClockEvent = { at, seq: this.nextSeq++, fn, cancelled: false };
    this.live.set(ev.seq, ev);
    this.push(ev);
    return ev.seq;
  }

  /** Returns whether the event was still pending. */
  cancel(id: number): boolean {
    const ev = this.live.get(id);
    if (ev === undefined) return false;
    ev.cancelled = true;
    this.live.delete(id);
    return true;
  }

  nextDeadline(): number {
    const top = this.peek();
    return top === undefined ? Infinity : top.at;
  }

  runDue(): number {
    let ran = 0;
    for (let top = this.peek(); top !== undefined && top.at <= this.cycles; top = this.peek()) {
      this.pop();
      this.live.delete(top.seq);
      ran++;
      top.fn();
    }
    return ran;
  }

  private peek(): ClockEvent | undefined {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
    return this.heap[0];
  }

  private push(ev: ClockEvent): void {
    const h = this.heap;
    let i = h.push(ev) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(ev, h[parent]!)) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = ev;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && before(h[r]!, h[l]!) ? r : l;
      if (!before(h[c]!, last)) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
}
