/**
 * Model-based test of the storage engine (native gcc build): random sequences of put, get,
 * delete, scan, commit and reopen against a JS Map, with the smallest buffer pool so that
 * pages are evicted and written back all the time, values up to the 1000-byte limit so that
 * leaves split, and keys from empty to the 64-byte limit.
 */
import t from 'tap';
import fc from 'fast-check';
import { cleanup, hex, noGcc, runNative, volume } from './harness.js';

t.teardown(cleanup);

type Cmd =
  | { op: 'put'; k: Buffer; v: Buffer }
  | { op: 'get' | 'del'; k: Buffer }
  | { op: 'scan'; start: Buffer; end: Buffer | null; limit: number; cap: number }
  | { op: 'fill'; n: number; seed: number; size: number }
  | { op: 'commit' | 'reopen' | 'count' };

const someKeys = [
  '', 'a', 'b', 'ab', 'abc', 'key', 'key0', 'key1', 'key10', 'key2', 'zz', '\u00ff', '\u0000', '\u0000\u0000',
  'k'.repeat(63), 'k'.repeat(64), 'x'.repeat(64),
].map((s) => Buffer.from(s, 'latin1'));
const keyArb = fc.oneof(
  fc.constantFrom(...someKeys),
  fc.uint8Array({ minLength: 0, maxLength: 64 }).map((a) => Buffer.from(a)),
  fc.integer({ min: 0, max: 60 }).map((i) => Buffer.from(`user${i}`)),
);
const valueArb = fc.oneof(
  fc.uint8Array({ maxLength: 16 }),
  fc.uint8Array({ minLength: 200, maxLength: 400 }),
  fc.uint8Array({ minLength: 900, maxLength: 1000 }),
).map((a) => Buffer.from(a));

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('put' as const), k: keyArb, v: valueArb }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('get' as const), k: keyArb }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('del' as const), k: keyArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('scan' as const), start: keyArb, end: fc.option(keyArb), limit: fc.integer({ min: 0, max: 20 }), cap: fc.constantFrom(0, 0, 3000, 65536) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('fill' as const), n: fc.integer({ min: 10, max: 120 }), seed: fc.integer({ min: 0, max: 5 }), size: fc.integer({ min: 1, max: 1000 }) }) },
  { weight: 2, arbitrary: fc.constant({ op: 'commit' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'reopen' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'count' as const }) },
);

const cmp = (a: Buffer, b: Buffer) => Buffer.compare(a, b);

/** The script and the output the model expects. */
function expect(cmds: Cmd[], pool: number): { lines: string[]; want: string[] } {
  const m = new Map<string, Buffer>();      // key in hex -> value
  const lines = [`open ${pool}`];
  const want = ['ok'];
  const put = (k: Buffer, v: Buffer) => { lines.push(`put ${hex(k)} ${hex(v)}`); want.push('ok'); m.set(k.toString('hex'), v); };
  for (const c of cmds) {
    switch (c.op) {
      case 'put': put(c.k, c.v); break;
      case 'get': {
        lines.push(`get ${hex(c.k)}`);
        const v = m.get(c.k.toString('hex'));
        want.push(v === undefined ? 'nil' : `val ${hex(v)}`);
        break;
      }
      case 'del':
        lines.push(`del ${hex(c.k)}`);
        want.push(m.delete(c.k.toString('hex')) ? 'ok' : 'nil');
        break;
      case 'scan': {
        // cap 0: engine_scan with a callback; else engine_scan_buf into cap bytes (whole records)
        lines.push(`${c.cap ? 'scanb' : 'scan'} ${hex(c.start)} ${c.end ? hex(c.end) : '-'} ${c.limit}${c.cap ? ` ${c.cap}` : ''}`);
        let keys = [...m.keys()].map((h) => Buffer.from(h, 'hex')).sort(cmp)
          .filter((k) => cmp(k, c.start) >= 0 && (!c.end || cmp(k, c.end) <= 0));
        if (c.limit) keys = keys.slice(0, c.limit);
        if (c.cap) {
          let used = 0, n = 0;
          while (n < keys.length && used + 4 + keys[n].length + m.get(keys[n].toString('hex'))!.length <= c.cap) {
            used += 4 + keys[n].length + m.get(keys[n].toString('hex'))!.length;
            n++;
          }
          keys = keys.slice(0, n);
        }
        want.push('scan' + keys.map((k) => ` ${hex(k)}=${hex(m.get(k.toString('hex'))!)}`).join(''));
        break;
      }
      case 'fill':
        for (let i = 0; i < c.n; i++) {
          const v = Buffer.alloc(c.size, (i * 31 + c.seed) & 0xff);
          put(Buffer.from(`fill${c.seed}:${String(i).padStart(4, '0')}`), v);
        }
        break;
      case 'commit': lines.push('commit'); want.push('ok'); break;
      case 'reopen': lines.push('close', `open ${pool}`); want.push('ok', 'ok'); break;
      case 'count': lines.push('count'); want.push(`count ${m.size}`); break;
    }
  }
  lines.push('count', 'close', `open ${pool}`, 'scan . - 0', 'close');
  const all = [...m.keys()].map((h) => Buffer.from(h, 'hex')).sort(cmp);
  want.push(`count ${m.size}`, 'ok', 'ok', 'scan' + all.map((k) => ` ${hex(k)}=${hex(m.get(k.toString('hex'))!)}`).join(''), 'ok');
  return { lines, want };
}

t.test('the engine behaves like a sorted map', { skip: noGcc }, async (t) => {
  let runs = 0;
  fc.assert(fc.property(fc.array(cmdArb, { minLength: 1, maxLength: 150 }), fc.constantFrom(16, 17, 24, 64), (cmds, pool) => {
    const { lines, want } = expect(cmds, pool);
    const { out } = runNative(volume(), lines);
    runs++;
    for (let i = 0; i < want.length; i++) {
      if (out[i] !== want[i]) throw new Error(`line ${i + 1} \`${lines[i]?.slice(0, 80)}\`: got ${out[i]?.slice(0, 200)}, want ${want[i]?.slice(0, 200)}`);
    }
    return out.length === want.length;
  }), { numRuns: 60, seed: 20261125 });
  t.ok(runs >= 60, `${runs} sequences`);
});

t.test('a large data set with the minimum pool: splits, evictions, reopen', { skip: noGcc }, async (t) => {
  const cmds: Cmd[] = [];
  for (let i = 0; i < 3000; i++) {
    const k = Buffer.from(`k${(i * 7919) % 2000}`);
    cmds.push(i % 5 === 4 ? { op: 'del', k } : { op: 'put', k, v: Buffer.alloc((i * 37) % 700, i & 0xff) });
    if (i % 97 === 0) cmds.push({ op: 'commit' });
  }
  cmds.push({ op: 'scan', start: Buffer.from('k1'), end: Buffer.from('k2'), limit: 0, cap: 0 }, { op: 'scan', start: Buffer.from('k3'), end: null, limit: 50, cap: 5000 });
  const { lines, want } = expect(cmds, 16);
  const at = lines.length - 5;             // before the final count, close, reopen, scan, close
  lines.splice(at, 0, 'stats');
  const { out } = runNative(volume(), lines);
  const stats = out.splice(at, 1)[0];
  t.same(out, want, 'every reply as the model says');
  const ev = Number(/evictions=(\d+)/.exec(stats)?.[1]);
  t.ok(ev > 1000, `the pool evicted (${stats})`);
  t.ok(Number(/writebacks=(\d+)/.exec(stats)?.[1]) > 100, 'dirty pages were written back on eviction');
  t.ok(Number(/checkpoints=(\d+)/.exec(stats)?.[1]) > 3, 'checkpoints bounded the log');
});
