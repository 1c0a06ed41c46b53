/**
 * A helper thread that writes full trace buffers, so the thread that runs the guest mostly only
 * fills memory (docs/trace-format.md, "Cost"). One per process, started by the first recorder
 * that streams and kept (unreferenced: it never keeps the process alive); a recorder that finds
 * it busy with another recorder writes synchronously instead.
 *
 * The buffers are SharedArrayBuffers in a ring of SLOTS. The recorder fills slot n % SLOTS and
 * publishes it (its length and file position, then FILLED = n + 1). A published slot is written
 * by whoever claims it first (CLAIMED, compare-and-swap): normally the helper thread, but the
 * recorder itself when it would otherwise wait, that is when it needs a slot whose previous
 * contents nobody has started writing, and when the trace closes. On a busy host the OS may not
 * run the helper for milliseconds; the run then does that write itself instead of sleeping. Every
 * slot is written at its own file position (pwrite), so the file's bytes do not depend on who
 * wrote which slot or in which order: they are exactly what synchronous writes would give.
 */
import { writeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

export const SLOTS = 8;
// ctrl (Int32Array): sequence numbers are per process, counted over all recorders.
//   FILLED  slots published; CLAIMED  slots someone has started writing (≤ FILLED)
//   ERROR   1 once a write failed;     FD  the file of the recorder holding the writer
//   LEN+s   bytes in slot s;           DONE+s  1 + the sequence number of slot s's last completed write
const FILLED = 0, CLAIMED = 1, ERROR = 2, FD = 3, LEN = 4, DONE = LEN + SLOTS;

/** Writes slot `seq % SLOTS` at its file position and marks it done. Runs on either thread. */
function writeSlot(ctrl: Int32Array, pos: Float64Array, slots: Uint8Array[], seq: number): void {
  const s = seq % SLOTS;
  const len = Atomics.load(ctrl, LEN + s);
  const at = pos[s]!;
  const buf = slots[s]!;
  try {
    const fd = Atomics.load(ctrl, FD);
    let off = 0;
    while (off < len) off += writeSync(fd, buf, off, len - off, at + off);
  } catch {
    Atomics.store(ctrl, ERROR, 1);
  }
  Atomics.store(ctrl, DONE + s, seq + 1);
  Atomics.notify(ctrl, DONE + s);
}

// The helper thread: claim the next published slot, write it, repeat; sleep when none is left.
const WRITER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const SLOTS = ${SLOTS}, FILLED = ${FILLED}, CLAIMED = ${CLAIMED}, ERROR = ${ERROR}, FD = ${FD}, LEN = ${LEN}, DONE = ${DONE};
const ctrl = new Int32Array(workerData.ctrl);
const pos = new Float64Array(workerData.pos);
const slots = workerData.slots.map((b) => new Uint8Array(b));
const writeSlot = ${writeSlot.toString()};
for (;;) {
  const c = Atomics.load(ctrl, CLAIMED);
  if (c === Atomics.load(ctrl, FILLED)) {
    Atomics.wait(ctrl, FILLED, c);
    continue;
  }
  if (Atomics.compareExchange(ctrl, CLAIMED, c, c + 1) === c) writeSlot(ctrl, pos, slots, c);
}
`;

export class TraceWriterThread {
  readonly slots: SharedArrayBuffer[];
  private readonly views: Uint8Array[];
  private readonly ctrl: Int32Array;
  /** File position of each slot's bytes. */
  private readonly pos: Float64Array;
  private busy = false;

  private constructor(readonly slotBytes: number) {
    const ctrlBuf = new SharedArrayBuffer(4 * (DONE + SLOTS));
    const posBuf = new SharedArrayBuffer(8 * SLOTS);
    this.ctrl = new Int32Array(ctrlBuf);
    this.pos = new Float64Array(posBuf);
    this.slots = Array.from({ length: SLOTS }, () => new SharedArrayBuffer(slotBytes));
    this.views = this.slots.map((b) => new Uint8Array(b));
    const worker = new Worker(WRITER_SOURCE, { eval: true, workerData: { ctrl: ctrlBuf, pos: posBuf, slots: this.slots } });
    worker.unref();
  }

  private static instance: TraceWriterThread | undefined;

  /** The process's writer, or undefined when another recorder holds it. */
  static acquire(slotBytes: number, fd: number): TraceWriterThread | undefined {
    let w = TraceWriterThread.instance;
    if (w === undefined) {
      try {
        w = TraceWriterThread.instance = new TraceWriterThread(slotBytes);
      } catch {
        return undefined; // no threads here: the recorder writes synchronously
      }
    }
    if (w.busy || w.slotBytes !== slotBytes) return undefined;
    w.busy = true;
    Atomics.store(w.ctrl, ERROR, 0);
    Atomics.store(w.ctrl, FD, fd);
    return w;
  }

  /** Sequence number of the next slot to fill. */
  get filled(): number {
    return Atomics.load(this.ctrl, FILLED);
  }

  /**
   * Waits until slot `seq % SLOTS` may be filled: its previous contents (sequence seq - SLOTS)
   * are written. If nobody has started writing them yet, writes them (and any published slot
   * before them) here rather than wait for the helper thread to be scheduled.
   */
  waitForSlot(seq: number): void {
    this.complete(seq - SLOTS);
  }

  /** Waits until the slot of sequence `prev` (if any) is written, writing it here if unclaimed. */
  private complete(prev: number): void {
    if (prev < 0) return;
    const ctrl = this.ctrl, done = DONE + (prev % SLOTS);
    for (;;) {
      const d = Atomics.load(ctrl, done);
      if (d > prev) return;
      const c = Atomics.load(ctrl, CLAIMED);
      if (c <= prev && c < Atomics.load(ctrl, FILLED)) {
        if (Atomics.compareExchange(ctrl, CLAIMED, c, c + 1) === c) writeSlot(ctrl, this.pos, this.views, c);
        continue;
      }
      Atomics.wait(ctrl, done, d); // the helper thread is writing it
    }
  }

  /** Hands the filled slot of sequence `seq`, `len` bytes for file position `at`, to the writer. */
  publish(seq: number, len: number, at: number): void {
    const s = seq % SLOTS;
    Atomics.store(this.ctrl, LEN + s, len);
    this.pos[s] = at; // published to the other thread by the Atomics.store below
    Atomics.store(this.ctrl, FILLED, seq + 1);
    Atomics.notify(this.ctrl, FILLED);
  }

  /** Writes or waits for every published slot; true if all writes succeeded. Frees the writer. */
  finish(): boolean {
    const filled = Atomics.load(this.ctrl, FILLED);
    for (let seq = Math.max(0, filled - SLOTS); seq < filled; seq++) this.complete(seq);
    this.busy = false;
    return Atomics.load(this.ctrl, ERROR) === 0;
  }
}
