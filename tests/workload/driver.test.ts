/**
 * The workload driver against a server model on a virtual clock: determinism, the mixes, the
 * key distributions, latency accounting, RESP parsing and failure reporting.
 */
import t from 'tap';
import fc from 'fast-check';
import { VirtualClock } from '../../vmm/clock.js';
import { planOperations, WorkloadDriver, type WorkloadSpec } from '../../middleware/workload/driver.js';
import { Rng, ZipfianKeys } from '../../middleware/workload/random.js';
import { encodeCommand, RespError, RespReader } from '../../middleware/workload/resp.js';

const HZ = 1e9; // 1 cycle = 1 ns keeps the arithmetic readable

/** A Redis-like server model: GET/SET/PING over a Map, replying after `delayNs`. */
function runAgainstModel(spec: WorkloadSpec, opts: { delayNs?: number; dropAfter?: number } = {}) {
  const clock = new VirtualClock();
  const db = new Map<string, Uint8Array>();
  const reqs = new Map<number, RespReader>();
  let served = 0;
  let driver: WorkloadDriver;
  const net = {
    cpuHz: HZ,
    now: () => clock.now,
    schedule: (at: number, fn: () => void) => clock.schedule(at, fn),
    cancel: (id: number) => { clock.cancel(id); },
    send: (port: number, payload: Uint8Array) => {
      const r = reqs.get(port) ?? new RespReader();
      reqs.set(port, r);
      r.push(payload);
      let cmd;
      while ((cmd = r.next()) !== undefined) {
        const args = (cmd as Uint8Array[]).map((a) => Buffer.from(a).toString('latin1'));
        served++;
        if (opts.dropAfter !== undefined && served > opts.dropAfter) continue;
        let reply: string;
        if (args[0] === 'PING') reply = '+PONG\r\n';
        else if (args[0] === 'SET') { db.set(args[1], Buffer.from(args[2], 'latin1')); reply = '+OK\r\n'; }
        else if (args[0] === 'GET') { const v = db.get(args[1]); reply = v ? `$${v.length}\r\n${Buffer.from(v).toString('latin1')}\r\n` : '$-1\r\n'; }
        else reply = '-ERR unknown command\r\n';
        const bytes = Buffer.from(reply, 'latin1');
        clock.schedule(clock.now + (opts.delayNs ?? 1000), () => {
          // Deliver in two pieces: the driver must reassemble.
          const cut = Math.floor(bytes.length / 2);
          driver.receive(6379, port, bytes.subarray(0, cut));
          driver.receive(6379, port, bytes.subarray(cut));
        });
      }
    },
  };
  driver = new WorkloadDriver(spec, net);
  const phases: string[] = [];
  driver.onPhase = (p) => phases.push(p);
  driver.start();
  while (driver.phase !== 'done' && driver.phase !== 'failed') {
    const next = clock.nextDeadline();
    if (next === Infinity) break;
    clock.advance(Math.max(0, next - clock.now));
    clock.runDue();
  }
  return { driver, phases, db };
}

const base: WorkloadSpec = { mix: 'B', distribution: 'uniform', records: 50, operations: 400, concurrency: 4, seed: 7 };

t.test('a run loads, measures and reports', async (t) => {
  const { driver, phases, db } = runAgainstModel(base);
  t.same(phases, ['load', 'run', 'done']);
  t.equal(db.size, 50, 'every record loaded');
  const r = driver.result();
  t.equal(r.operations, 400);
  t.equal(r.errors, 0);
  t.ok(r.reads > 350 && r.updates > 5, `B is read-mostly: ${r.reads}/${r.updates}`);
  t.ok(r.latencyUs.p50 >= 1 && r.latencyUs.p50 < 3, `latency ~1 us plus queueing (p50 ${r.latencyUs.p50})`);
  // 4 clients, 1 us per request each: about 4 ops per us.
  t.ok(Math.abs(r.opsPerSecond - 4e6) / 4e6 < 0.05, `throughput ${r.opsPerSecond}`);
});

t.test('the same seed gives the same operations and replies; another seed does not', async (t) => {
  const a = runAgainstModel(base).driver.result();
  const b = runAgainstModel(base).driver.result();
  const c = runAgainstModel({ ...base, seed: 8 }).driver.result();
  t.equal(a.checksum, b.checksum);
  t.not(a.checksum, c.checksum);
  t.same(planOperations(base), planOperations(base));
});

t.test('with one client the replies do not depend on the server\'s speed', async (t) => {
  const spec = { ...base, concurrency: 1, mix: 'A' as const };
  t.equal(runAgainstModel(spec, { delayNs: 500 }).driver.result().checksum, runAgainstModel(spec, { delayNs: 50_000 }).driver.result().checksum);
});

t.test('mixes: C reads only, A updates about half', async (t) => {
  t.equal(planOperations({ ...base, mix: 'C' }).filter((o) => o.kind === 'update').length, 0);
  const a = planOperations({ ...base, mix: 'A', operations: 4000 }).filter((o) => o.kind === 'update').length;
  t.ok(a > 1800 && a < 2200, `${a} of 4000`);
});

t.test('zipfian keys are skewed; uniform keys are not', async (t) => {
  const count = (dist: 'uniform' | 'zipfian') => {
    const m = new Map<string, number>();
    for (const o of planOperations({ ...base, distribution: dist, records: 1000, operations: 20000 })) m.set(o.key, (m.get(o.key) ?? 0) + 1);
    return Math.max(...m.values()) / 20000;
  };
  t.ok(count('zipfian') > 0.05, `hottest zipfian key ${count('zipfian')}`);
  t.ok(count('uniform') < 0.01, `hottest uniform key ${count('uniform')}`);
  const z = new ZipfianKeys(1000, false);
  const rng = new Rng(1);
  const ranks = Array.from({ length: 10000 }, () => z.rank(rng));
  t.ok(ranks.filter((r) => r === 0).length > ranks.filter((r) => r === 10).length * 5, 'rank 0 far above rank 10');
  t.ok(ranks.every((r) => r >= 0 && r < 1000));
});

t.test('a server that stops answering fails the run with a clear message', async (t) => {
  const { driver } = runAgainstModel(base, { dropAfter: 100 });
  t.equal(driver.phase, 'failed');
  t.match(driver.failure ?? '', /no reply to operation \d+ on client port \d+ within 2000 virtual ms/);
});

t.test('bad specs are refused in one line', async (t) => {
  const net = { cpuHz: HZ, now: () => 0, schedule: () => 0, cancel: () => {}, send: () => {} };
  t.throws(() => new WorkloadDriver({ ...base, concurrency: 0 }, net), /concurrency must be/);
  t.throws(() => new WorkloadDriver({ ...base, mix: 'D' as never }, net), /mix must be/);
  t.throws(() => new WorkloadDriver({ ...base, records: 1.5 }, net), /records must be/);
});

t.test('RESP replies parse whole or split at any byte', async (t) => {
  const reply = Buffer.from('+OK\r\n-ERR no\r\n:42\r\n$3\r\nabc\r\n$-1\r\n*2\r\n$1\r\nx\r\n:7\r\n*-1\r\n', 'latin1');
  fc.assert(fc.property(fc.array(fc.nat(reply.length), { maxLength: 6 }), (cuts) => {
    const r = new RespReader();
    const points = [...new Set([0, ...cuts, reply.length])].sort((a, b) => a - b);
    const out: unknown[] = [];
    for (let i = 1; i < points.length; i++) {
      r.push(reply.subarray(points[i - 1], points[i]));
      let v;
      while ((v = r.next()) !== undefined) out.push(v);
    }
    return out.length === 7 && out[0] === 'OK' && out[1] instanceof RespError && out[2] === 42 &&
      Buffer.from(out[3] as Uint8Array).toString() === 'abc' && out[4] === null && Array.isArray(out[5]) && out[6] === null;
  }));
  t.equal(Buffer.from(encodeCommand(['SET', 'k', 'v'])).toString(), '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n');
  const bad = new RespReader();
  bad.push(Buffer.from('?x\r\n'));
  t.throws(() => bad.next(), /unexpected reply type/);
});
