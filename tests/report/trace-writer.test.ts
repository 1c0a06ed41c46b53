/**
 * The trace writer thread (vmm/trace/writer.ts): long traces go through its ring of buffers,
 * and the file holds every record in order, exactly as synchronous writes would have left it;
 * a second recorder at the same time writes synchronously and is just as complete.
 */
import t from 'tap';
import type { Tap } from '../tap-types.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TraceRecorder } from '../../vmm/trace/recorder.js';
import { readTraceFile } from '../../vmm/trace/reader.js';
import { EXIT_REASONS, type VmExit } from '../../vmm/exits.js';
import { FLAG_WRITE, NO_DEVICE } from '../../vmm/trace/format.js';

const dir = mkdtempSync(join(tmpdir(), 'vamos-trace-writer-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const info = { profile: 'test', cpuHz: 1e9, symbols: [], stop: 'done' };

function fill(rec: TraceRecorder, n: number, salt: number): void {
  for (let i = 0; i < n; i++) {
    const exit: VmExit = i % 3 === 0
      ? { reason: 'io', port: (i + salt) & 0xffff, size: 1, write: (i & 1) === 1, value: 0 }
      : i % 3 === 1 ? { reason: 'mmio', address: (0xd0000000 + i) >>> 0, size: 4, write: false, value: 0 } : { reason: 'hlt' };
    rec.record(exit, i * 10 + salt, (i * 4) >>> 0, 100 + (i % 50), i % 3 === 2 ? undefined : `dev${i % 5}`);
  }
}

function check(t: Tap, path: string, n: number, salt: number): void {
  const { records, trailer } = readTraceFile(path);
  t.equal(records.length, n, `${n} records`);
  t.equal(trailer.totalExits, n);
  let bad = -1;
  for (let i = 0; i < n && bad < 0; i++) {
    const r = records[i]!;
    const kind = i % 3;
    const reason = EXIT_REASONS[r.reason];
    const device = r.device === NO_DEVICE ? undefined : trailer.devices[r.device];
    const ok = r.at === i * 10 + salt && r.eip === ((i * 4) >>> 0) && r.cost === 100 + (i % 50) &&
      reason === (kind === 0 ? 'io' : kind === 1 ? 'mmio' : 'hlt') &&
      device === (kind === 2 ? undefined : `dev${i % 5}`) &&
      r.detail === (kind === 0 ? (i + salt) & 0xffff : kind === 1 ? (0xd0000000 + i) >>> 0 : 0) &&
      (r.flags & FLAG_WRITE) === (kind === 0 && (i & 1) === 1 ? FLAG_WRITE : 0);
    if (!ok) bad = i;
  }
  t.equal(bad, -1, 'every record in order with all its fields (time, eip, cost, reason, device, detail, write flag)');
}

t.test('a trace of many buffers (the writer ring wraps several times) is complete and in order', async (t) => {
  const n = 32768 * 20 + 123;
  const path = join(dir, 'long.trc');
  const rec = new TraceRecorder(path);
  fill(rec, n, 7);
  rec.close(info);
  t.equal(rec.bytesWritten > n * 24, true, 'bytes accounted');
  check(t, path, n, 7);
});

t.test('two recorders at once: the second writes synchronously, both files are complete', async (t) => {
  const a = new TraceRecorder(join(dir, 'a.trc'));
  const b = new TraceRecorder(join(dir, 'b.trc'));
  fill(a, 100000, 1);
  fill(b, 90000, 2);
  a.close(info);
  b.close(info);
  check(t, join(dir, 'a.trc'), 100000, 1);
  check(t, join(dir, 'b.trc'), 90000, 2);
  const c = new TraceRecorder(join(dir, 'c.trc'));
  fill(c, 70000, 3);
  c.close(info);
  check(t, join(dir, 'c.trc'), 70000, 3);
});

t.test('a streamed file is byte for byte the synchronously written one, whichever thread wrote each buffer', async (t) => {
  // The recorder fills buffers faster than the helper thread can write them here, so the run's
  // own thread writes some of them (writer.ts): positions, not order, place every buffer.
  const n = 32768 * 40 + 5;
  const threaded = new TraceRecorder(join(dir, 'threaded.trc'));
  const sync = new TraceRecorder(join(dir, 'sync.trc')); // the writer is held: synchronous writes
  const exit: VmExit = { reason: 'io', port: 0x80, size: 1, write: true, value: 0 };
  for (let i = 0; i < n; i++) threaded.record(exit, i * 3, i, i & 0xfff, 'null');
  for (let i = 0; i < n; i++) sync.record(exit, i * 3, i, i & 0xfff, 'null');
  threaded.close(info);
  sync.close(info);
  const a = readFileSync(join(dir, 'threaded.trc')), b = readFileSync(join(dir, 'sync.trc'));
  t.equal(a.length, b.length, 'same length');
  t.equal(Buffer.compare(a, b), 0, 'same bytes');
  t.equal(readTraceFile(join(dir, 'threaded.trc')).records[n - 1]!.at, (n - 1) * 3, 'the last record is the last exit');
});

t.test('a ring keeps the last N exits oldest first, however many laps it made', async (t) => {
  const ring = 50;
  for (const n of [1, ring - 1, ring, ring + 1, ring + 17, 2 * ring, 3 * ring + 7]) {
    const path = join(dir, `ring-${n}.trc`);
    const rec = new TraceRecorder(path, { ring });
    fill(rec, n, 5);
    rec.close(info);
    const { records, trailer } = readTraceFile(path);
    const kept = Math.min(n, ring);
    t.equal(trailer.totalExits, n, `${n} exits: all counted`);
    t.same(records.map((r) => r.at), Array.from({ length: kept }, (_, k) => (n - kept + k) * 10 + 5), `${n} exits: the last ${kept}, oldest first`);
  }
});
