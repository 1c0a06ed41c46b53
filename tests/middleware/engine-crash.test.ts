/**
 * Crash recovery of the storage engine (native gcc build). A write workload runs until the
 * process dies: either the OSAL's power cut after N sector writes (a random subset of the
 * unflushed sectors reaches the file, tearing multi-sector writes), or SIGKILL from here after
 * some acknowledgements (everything unflushed is lost). Then the volume is reopened: the state
 * must be exactly the model's state after some operation at or after the last acknowledged
 * commit (every acknowledged write there, nothing torn, no half-applied operation), the key
 * count must agree, and the engine must go on working.
 */
import t, { type Test } from 'tap';
import fc from 'fast-check';
import { cleanup, hex, noGcc, runAndKill, runNative, volume } from './harness.js';

t.teardown(cleanup);
t.setTimeout(300_000);   // hundreds of process runs: generous on a busy machine

interface Workload { lines: string[]; snapshots: string[]; opAt: number[]; commitAt: Map<number, number> }

/** A random workload; snapshots[j] is the expected scan line after j operations. */
function workload(seed: number, ops: number, pool: number, commitEvery = 0.7): Workload {
  const rnd = fc.sample(fc.array(fc.nat(1 << 30), { minLength: ops * 4, maxLength: ops * 4 }), { seed, numRuns: 1 })[0];
  let r = 0;
  const next = (n: number) => rnd[r++ % rnd.length] % n;
  const m = new Map<string, string>();
  const scanLine = () => 'scan' + [...m.keys()].sort((a, b) => Buffer.compare(Buffer.from(a, 'hex'), Buffer.from(b, 'hex')))
    .map((k) => ` ${k}=${m.get(k)}`).join('');
  const lines = [`open ${pool}`];
  const snapshots = [scanLine()];
  const opAt: number[] = [];              // output line index of operation j (1-based j)
  const commitAt = new Map<number, number>();   // output line of a commit -> operations before it
  for (let j = 1; j <= ops; j++) {
    const k = hex(`key${next(150)}`);
    if (next(10) < 8) {
      const size = [1, 50, 400, 1000][next(4)];
      const v = hex(Buffer.alloc(size, j & 0xff).fill(next(256), 0, 1));
      lines.push(`put ${k} ${v}`);
      m.set(k, v);
    } else {
      lines.push(`del ${k}`);
      m.delete(k);
    }
    opAt[j] = lines.length - 1;
    snapshots.push(scanLine());
    if (next(1000) < commitEvery * 1000) { lines.push('commit'); commitAt.set(lines.length - 1, j); }
  }
  return { lines, snapshots, opAt, commitAt };
}

/** Which operations were acknowledged as committed, given the lines that came back. */
function acknowledged(w: Workload, out: string[]): { acked: number; issued: number } {
  let acked = 0, issued = 0;
  for (let i = 1; i < out.length; i++) {
    const c = w.commitAt.get(i);
    if (c !== undefined && out[i] === 'ok') acked = c;
  }
  for (let j = 1; j < w.opAt.length; j++) if (w.opAt[j] < out.length) issued = j;
  return { acked, issued: Math.min(issued + 1, w.opAt.length - 1) };
}

/**
 * `running`: the process may have gone on past the lines we saw (SIGKILL arrives late), so any
 * later state is allowed; after a power cut nothing ran past the last line it printed + 1.
 */
function verify(t: Test, vol: string, w: Workload, out: string[], what: string, running = false): void {
  const ack = acknowledged(w, out);
  const acked = ack.acked, issued = running ? w.snapshots.length - 1 : ack.issued;
  const after = runNative(vol, ['open 16', 'scan . - 0', 'count', 'put 6e6577 31', 'commit', 'close', 'open 16', 'get 6e6577', 'close']);
  const got = after.out[1];
  let match = -1;
  for (let j = issued; j >= acked; j--) if (w.snapshots[j] === got) { match = j; break; }
  const keys = got ? got.split(' ').length - 1 : -1;
  t.ok(after.out[0] === 'ok' && match >= 0, `${what}: recovered the state after operation ${match} (acknowledged ${acked}, issued ${issued})`);
  t.equal(after.out[2], `count ${keys - 0}`, `${what}: the key count agrees`);
  t.same(after.out.slice(3), ['ok', 'ok', 'ok', 'ok', 'val 31', 'ok'], `${what}: the engine works after recovery`);
}

t.test('power cut after N sector writes, at random points', { skip: noGcc }, async (t) => {
  for (let trial = 0; trial < 12; trial++) {
    const w = workload(trial, 250, trial % 3 === 0 ? 64 : 16);
    const total = runNative(volume(), w.lines).sectorWrites;     // a dry run: how far the cut may go
    const vol = volume();
    const after = 1 + ((trial * 2654435761) >>> 0) % total;
    const { out, status } = runNative(vol, w.lines, { after, seed: trial });
    t.equal(status, 99, `trial ${trial}: cut after ${after} of ${total} sector writes`);
    verify(t, vol, w, out, `trial ${trial} (cut after ${after} sectors)`);
  }
});

t.test('SIGKILL after a random number of acknowledgements', { skip: noGcc }, async (t) => {
  for (let trial = 0; trial < 6; trial++) {
    const w = workload(100 + trial, 250, 16);
    const vol = volume();
    const out = await runAndKill(vol, w.lines, 20 + trial * 71);
    verify(t, vol, w, out, `kill ${trial} after ${out.length} lines`, true);
  }
});

t.test('crash during recovery: a second cut while replaying changes nothing', { skip: noGcc }, async (t) => {
  const w = workload(999, 200, 16);
  const vol = volume();
  const total = runNative(volume(), w.lines).sectorWrites;
  const first = runNative(vol, w.lines, { after: total - 5, seed: 7 });
  t.equal(first.status, 99, 'the workload was cut');
  const again = runNative(vol, ['open 16', 'scan . - 0'], { after: 30, seed: 8 });
  t.equal(again.status, 99, 'recovery was cut too');
  verify(t, vol, w, first.out, 'after two cuts');
});

t.test('rare commits and a larger pool: pages evicted between commits', { skip: noGcc }, async (t) => {
  for (let trial = 0; trial < 8; trial++) {
    const w = workload(500 + trial, 400, 40 + 2 * trial, 0.03);
    const total = runNative(volume(), w.lines).sectorWrites;
    const vol = volume();
    const after = 1 + ((trial * 2654435761) >>> 0) % total;
    const { out, status } = runNative(vol, w.lines, { after, seed: trial });
    t.equal(status, 99, `trial ${trial}: cut after ${after} of ${total} sector writes`);
    verify(t, vol, w, out, `rare-commit trial ${trial}`);
  }
});
