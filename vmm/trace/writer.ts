/**
 * A helper thread that writes full trace buffers, so the thread that runs the guest only fills
 * memory (docs/trace-format.md, "Cost"). One per process, started by the first recorder that
 * fills a buffer and kept (unreferenced: it never keeps the process alive); a recorder that
 * finds it busy with another recorder writes synchronously instead.
 *
 * The buffers are SharedArrayBuffers in a ring of SLOTS. The recorder fills slot n % SLOTS,
 * publishes it by incrementing FILLED, and before refilling a slot waits until the writer's
 * WRITTEN count says it is free. The writer writes slots in order, so the file's bytes are
 * exactly what synchronous writes would have produced.
 */
import { Worker } from 'node:worker_threads';

export const SLOTS = 8;
const FILLED = 0, WRITTEN = 1, ERROR = 2, FD = 3, LEN = 4;

const WRITER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const ctrl = new Int32Array(workerData.ctrl);
const slots = workerData.slots.map((b) => new Uint8Array(b));
let written = 0;
for (;;) {
  Atomics.wait(ctrl, ${FILLED}, written);
  while (Atomics.load(ctrl, ${FILLED}) !== written) {
    const s = written % ${SLOTS};
    const len = Atomics.load(ctrl, ${LEN} + s);
    const fd = Atomics.load(ctrl, ${FD});
    try {
      let off = 0;
      while (off < len) off += writeSync(fd, slots[s], off, len - off);
    } catch {
      Atomics.store(ctrl, ${ERROR}, 1);
    }
    written++;
    Atomics.store(ctrl, ${WRITTEN}, written);
    Atomics.notify(ctrl, ${WRITTEN});
  }
}
`;

export class TraceWriterThread {
  readonly slots: SharedArrayBuffer[];
  private readonly ctrl: Int32Array;
  private busy = false;

  private constructor(readonly slotBytes: number) {
    const ctrlBuf = new SharedArrayBuffer(4 * (LEN + SLOTS));
    this.ctrl = new Int32Array(ctrlBuf);
    this.slots = Array.from({ length: SLOTS }, () => new SharedArrayBuffer(slotBytes));
    const worker = new Worker(WRITER_SOURCE, { eval: true, workerData: { ctrl: ctrlBuf, slots: this.slots } });
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

  /** Waits until slot `seq % SLOTS` may be filled (its previous contents are written). */
  waitForSlot(seq: number): void {
    for (;;) {
      const written = Atomics.load(this.ctrl, WRITTEN);
      if (seq - written < SLOTS) return;
      Atomics.wait(this.ctrl, WRITTEN, written);
    }
  }

  /** Hands the filled slot of sequence `seq` with `len` bytes to the writer. */
  publish(seq: number, len: number): void {
    Atomics.store(this.ctrl, LEN + (seq % SLOTS), len);
    Atomics.store(this.ctrl, FILLED, seq + 1);
    Atomics.notify(this.ctrl, FILLED);
  }

  /** Waits for every published slot to be written; true if all writes succeeded. Frees the writer. */
  finish(): boolean {
    const target = Atomics.load(this.ctrl, FILLED);
    for (;;) {
      const written = Atomics.load(this.ctrl, WRITTEN);
      if (written === target) break;
      Atomics.wait(this.ctrl, WRITTEN, written);
    }
    this.busy = false;
    return Atomics.load(this.ctrl, ERROR) === 0;
  }
}
