/**
 * The gateway's core (devices/virtio/net/gateway/mux.ts) against the reference model of the
 * guest server, with no sockets: byte streams intact and in order, the window never exceeded,
 * everything acknowledged at the end, connections served in turn, backpressure.
 */
import t from 'tap';
import fc from 'fast-check';
import { GatewayMux } from '../../devices/virtio/net/gateway/mux.js';
import { GW_MAX_PAYLOAD, GwType, decodeGw, encodeGw, type GwDatagram } from '../../devices/virtio/net/gateway/proto.js';
import { Harness, bytesOf } from './harness.js';
import { upper } from './model-server.js';

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
const prefix = (a: Uint8Array, b: Uint8Array): boolean => a.length <= b.length && same(a, b.subarray(0, a.length));

/** 'endgone': half-closes after its bytes, then goes away (a socket's 'end' then 'close'). */
type Fate = 'end' | 'gone' | 'endgone';
interface ConnPlan {
  chunks: Uint8Array[];
  fate: Fate;
  /** With fate 'gone': after this many chunks. */
  goneAfter: number;
  /** The server closes it once it consumed this many bytes (undefined: never). */
  closeAfter: number | undefined;
}

const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.uint8Array({ maxLength: 3000, size: 'max' }), // fast-check keeps arrays short unless told
  fc.string({ maxLength: 200 }).map((s) => new TextEncoder().encode(s)),
);
const plan: fc.Arbitrary<ConnPlan> = fc.record({
  chunks: fc.array(bytes, { maxLength: 6 }),
  fate: fc.constantFrom<Fate>('end', 'end', 'gone', 'endgone'),
  goneAfter: fc.nat({ max: 6 }),
  closeAfter: fc.option(fc.nat({ max: 4000 }), { nil: undefined, freq: 4 }),
});

/** What the scenarios exercised, summed: a property that never reaches a path proves nothing about it. */
const seen = { serverCloses: 0, gone: 0, pauses: 0, windowStalls: 0, droppedFromClient: 0 };

/** Runs one scenario to the end; returns what failed (empty: nothing). */
function run(window: number, pauseAbove: number, plans: ConnPlan[], schedule: number[]): string[] {
  const closeAt = new Map<number, number | undefined>();
  const h = new Harness({ window, pauseAbove, closeAfter: (c) => closeAt.get(c) });
  const ids: number[] = plans.map(() => 0);
  const next: number[] = plans.map(() => 0);
  const done: boolean[] = plans.map(() => false);
  const ended: boolean[] = plans.map(() => false);
  const sent: Uint8Array[][] = plans.map(() => []);
  const blocked: boolean[] = plans.map(() => false);
  const block = (i: number, on: boolean): void => {
    blocked[i] = on;
    h.mux.clientBlocked(ids[i]!, on);
  };
  h.model.hello();

  /** The actions possible now, each a closure; `final` forces clients on to their end. */
  const actions = (final: boolean): (() => void)[] => {
    const a: (() => void)[] = [];
    plans.forEach((p, i) => {
      if (done[i]) return;
      if (ids[i] === 0) {
        a.push(() => {
          ids[i] = h.open();
          closeAt.set(ids[i]!, p.closeAfter);
        });
        return;
      }
      const c = h.client(ids[i]!);
      const goneNow = p.fate === 'gone' && next[i]! >= Math.min(p.goneAfter, p.chunks.length);
      if (ended[i]) {
        a.push(() => { h.gone(ids[i]!); done[i] = true; });
      } else if (c.ended > 0 && p.fate === 'gone') {
        a.push(() => { h.gone(ids[i]!); done[i] = true; });
      } else if (goneNow) {
        a.push(() => { h.gone(ids[i]!); done[i] = true; });
      } else if (next[i]! < p.chunks.length) {
        if (!c.paused) a.push(() => {
          const b = p.chunks[next[i]!++]!;
          sent[i]!.push(b);
          h.mux.fromClient(ids[i]!, b);
        });
      } else if (p.fate === 'end') {
        a.push(() => { h.mux.clientEnd(ids[i]!); done[i] = true; });
      } else if (p.fate === 'endgone') {
        a.push(() => { h.mux.clientEnd(ids[i]!); ended[i] = true; });
      }
    });
    plans.forEach((_, i) => {
      // A client stops reading its replies for a while (or, at the end, reads again).
      if (ids[i] !== 0 && (final ? blocked[i] : true)) a.push(() => block(i, !blocked[i]));
    });
    if (!final) {
      if (h.model.inbox.length > 0) a.push(() => h.model.step());
      if (h.model.outbox.length > 0) a.push(() => h.model.release(1));
    }
    return a;
  };

  for (const s of schedule) {
    const a = actions(false);
    if (a.length === 0) break;
    a[s % a.length]!();
  }
  for (let guard = 0; done.some((d) => !d) || blocked.some((b) => b); guard++) {
    if (guard > 10000) return [`clients never finished: ${JSON.stringify({ done, next, ids, c: ids.map((id) => ({ ...h.client(id), received: h.client(id).received.length })), w: ids.map((id) => h.mux.waiting(id)) })}`];
    for (const f of actions(true)) f();
    h.model.runAll();
  }
  h.model.runAll();

  const fail: string[] = [...h.violations, ...h.model.violations];
  if (h.mux.inFlight !== 0) fail.push(`${h.mux.inFlight} datagrams in flight at the end`);
  if (h.mux.connections !== 0) fail.push(`${h.mux.connections} connections kept at the end`);
  if (h.model.outstanding !== 0) fail.push(`${h.model.outstanding} outstanding at the model`);
  if (h.maxSkipped > plans.length - 1) fail.push(`a waiting connection was passed over ${h.maxSkipped} times in a row`);
  plans.forEach((p, i) => {
    const id = ids[i]!;
    const S = bytesOf(sent[i]!);
    const M = h.model.all.get(id)?.bytes ?? Buffer.alloc(0);
    const c = h.client(id);
    const serverClosed = h.model.serverClosed.includes(id);
    if (serverClosed ? !prefix(M, S) : !same(M, S)) fail.push(`conn ${id}: the server consumed ${M.length} of ${S.length} bytes, or other bytes`);
    if (!serverClosed && !h.model.clientClosed.includes(id)) fail.push(`conn ${id}: no CLOSE reached the server`);
    const R = c.received;
    const U = upper(M);
    if (c.gone ? !prefix(R, U) : !same(R, U)) fail.push(`conn ${id}: client got ${R.length} bytes, expected ${U.length} (gone: ${c.gone})`);
    if (!c.gone && c.ended !== 1) fail.push(`conn ${id}: ended ${c.ended} times`);
  });
  if (h.model.maxOutstanding > window) fail.push(`max outstanding ${h.model.maxOutstanding}`);
  const st = h.mux.stats;
  seen.serverCloses += st.serverCloses;
  seen.gone += [...h.clients.values()].filter((c) => c.gone).length;
  seen.pauses += st.pauses;
  seen.windowStalls += st.windowStalls;
  seen.droppedFromClient += st.droppedFromClient;
  return fail;
}

t.test('random connections, segments, interleavings, windows and server delays: streams intact, window kept, all acknowledged', async (t) => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 8 }), fc.constantFrom(100, 1500, 4000, 65536), fc.array(plan, { minLength: 1, maxLength: 5 }),
    fc.array(fc.nat(), { maxLength: 300 }),
    (window, pauseAbove, plans, schedule) => {
      const fail = run(window, pauseAbove, plans, schedule);
      if (fail.length > 0) throw new Error(fail.join('; '));
    },
  ), { numRuns: 200 });
  for (const [k, v] of Object.entries(seen)) t.ok(v > 0, `${k}: ${v} over the scenarios`);
});

t.test('nothing goes to the guest before HELLO; what waited goes after it', async (t) => {
  const h = new Harness();
  const id = h.open();
  h.mux.fromClient(id, new TextEncoder().encode('ping'));
  t.equal(h.model.inbox.length, 0);
  t.equal(h.mux.stats.datagramsToGuest, 0);
  h.model.hello();
  h.model.runAll();
  t.equal(Buffer.from(h.client(id).received).toString(), 'PING');
  t.equal(h.backend.stats.hellos, 1);
});

t.test('queued bytes are coalesced into full datagrams', async (t) => {
  const h = new Harness({ window: 1 });
  h.model.hello();
  const id = h.open(); // OPEN goes, the window is full
  for (let i = 0; i < 3000; i++) h.mux.fromClient(id, Uint8Array.of(0x61));
  h.model.runAll();
  const sizes = h.model.all.get(id)!.bytes.length;
  t.equal(sizes, 3000);
  t.equal(h.mux.stats.datagramsToGuest, 1 + Math.ceil(3000 / GW_MAX_PAYLOAD), 'OPEN and three DATA, not 3000');
});

t.test('connections take turns: one with a megabyte queued does not starve the others', async (t) => {
  const h = new Harness({ window: 1 });
  h.model.hello();
  const big = h.open();
  h.mux.fromClient(big, new Uint8Array(1 << 20));
  const small = [h.open(), h.open(), h.open()];
  for (const s of small) h.mux.fromClient(s, new TextEncoder().encode('get k'));
  h.model.runAll();
  // The big one's OPEN went first; then each waiting connection gets a turn before big's second DATA.
  const firstSmallDone = small.map((s) => h.sentConns.lastIndexOf(s));
  const bigBefore = h.sentConns.slice(0, Math.max(...firstSmallDone)).filter((c) => c === big).length;
  t.ok(bigBefore <= 3, `big sent ${bigBefore} datagrams before the small ones were done`);
  for (const s of small) t.equal(Buffer.from(h.client(s).received).toString(), 'GET K');
  t.ok(h.maxSkipped <= 3);
});

t.test('a client that does not read its replies holds back only its own requests', async (t) => {
  const h = new Harness({ window: 2 });
  h.model.hello();
  const slow = h.open();
  const other = h.open();
  h.model.runAll();
  h.mux.clientBlocked(slow, true);
  h.mux.fromClient(slow, new TextEncoder().encode('slow'));
  h.mux.fromClient(other, new TextEncoder().encode('other'));
  h.model.runAll();
  t.equal(Buffer.from(h.client(other).received).toString(), 'OTHER');
  t.equal(h.client(slow).received.length, 0, 'nothing sent for the blocked one');
  t.equal(h.mux.waiting(slow), 4);
  t.equal(h.mux.stats.windowStalls, 0, 'a blocked connection is not a window stall');
  h.mux.clientBlocked(slow, false);
  h.model.runAll();
  t.equal(Buffer.from(h.client(slow).received).toString(), 'SLOW');
  h.mux.clientBlocked(slow, true);
  h.gone(slow); // gone while blocked: its CLOSE still goes
  h.model.runAll();
  t.ok(h.model.clientClosed.includes(slow));
  const third = h.open();
  h.model.runAll();
  h.mux.clientBlocked(third, true);
  h.mux.clientEnd(third); // its CLOSE waits while it is blocked...
  t.notOk(h.model.inbox.length, 'nothing sent for it');
  h.gone(third); // ...and goes once it is gone
  h.model.runAll();
  t.ok(h.model.clientClosed.includes(third));
  t.equal(h.mux.connections, 1, 'only `other` is left');
});

t.test('backpressure: 1 MiB from one client pauses it, resumes it, and every byte arrives', async (t) => {
  const h = new Harness();
  h.model.hello();
  const id = h.open();
  const data = new Uint8Array(1 << 20);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 11)) & 0xff;
  let off = 0;
  let pausedSeen = 0;
  while (off < data.length) {
    // A socket reads only while not paused; the server consumes a little between reads.
    while (!h.client(id).paused && off < data.length) {
      h.mux.fromClient(id, data.subarray(off, off + 16384));
      off += 16384;
    }
    if (h.client(id).paused) pausedSeen++;
    for (let k = 0; k < 8 && h.client(id).paused; k++) {
      h.model.step();
      h.model.release();
    }
    t.ok(h.mux.waiting(id) <= 64 * 1024 + 16384, 'queue bounded by the limit plus one read');
  }
  h.mux.clientEnd(id);
  h.model.runAll();
  t.ok(pausedSeen > 0 && h.mux.stats.pauses > 0 && h.mux.stats.resumes > 0, `${h.mux.stats.pauses} pauses, ${h.mux.stats.resumes} resumes`);
  t.ok(same(h.client(id).received, upper(data)), 'all 1 MiB echoed in order');
  t.equal(h.client(id).ended, 1);
  t.same(h.model.violations, []);
});

t.test('a half-closed client gets its replies, then its end', async (t) => {
  const h = new Harness();
  h.model.hello();
  const id = h.open();
  h.mux.fromClient(id, new TextEncoder().encode('a'));
  h.mux.clientEnd(id);
  h.model.step(); // OPEN
  h.model.step(); // DATA
  h.model.release();
  t.equal(h.client(id).ended, 0, 'not ended while its CLOSE is unacknowledged');
  t.equal(Buffer.from(h.client(id).received).toString(), 'A');
  h.model.runAll();
  t.equal(h.client(id).ended, 1);
  t.equal(h.mux.connections, 0);
});

t.test('the server closes: client ended after the bytes, later client bytes dropped, in-flight drained', async (t) => {
  const h = new Harness({ closeAfter: () => 3 });
  h.model.hello();
  const id = h.open();
  h.mux.fromClient(id, new TextEncoder().encode('abc'));
  h.mux.fromClient(id, new TextEncoder().encode('def')); // in flight when the server closes
  h.model.runAll();
  t.equal(Buffer.from(h.client(id).received).toString(), 'ABC');
  t.equal(h.client(id).ended, 1);
  h.mux.fromClient(id, new TextEncoder().encode('ghi'));
  t.equal(h.mux.stats.serverCloses, 1);
  t.equal(h.mux.inFlight, 0, 'the server answered the late DATA with CLOSE seq+1');
  t.equal(h.mux.connections, 0);
  t.ok(h.mux.stats.droppedFromClient >= 3);
  t.equal(h.mux.stats.clientCloses, 0, 'no CLOSE sent for a connection the server closed');
});

t.test('shutdown: CLOSE each connection after its bytes, then SHUTDOWN in the window; new clients refused', async (t) => {
  const h = new Harness({ window: 1 });
  h.model.hello();
  const a = h.open();
  const b = h.open();
  h.mux.fromClient(b, new TextEncoder().encode('x'));
  h.backend.shutdown();
  t.equal(h.mux.open(), 0);
  h.model.runAll();
  t.same(h.model.clientClosed.sort(), [a, b].sort());
  t.equal(h.model.all.get(b)!.bytes.toString(), 'x');
  t.equal(h.model.shutdowns, 1);
  t.equal(h.sentConns.at(-1), 0, 'SHUTDOWN last');
  t.ok(h.mux.shutdownAcked);
  t.equal(h.mux.inFlight, 0);
  t.same(h.model.violations, []);
});

t.test('acknowledgements: beyond what was sent ignored, stale ones never move the window back, unknown conns counted', async (t) => {
  const out: GwDatagram[] = [];
  const mux = new GatewayMux({
    toGuest: (d) => out.push(decodeGw(d) as GwDatagram), window: 4, awaitHello: false,
    clients: { write: () => {}, end: () => {}, pause: () => {}, resume: () => {} },
  });
  const g = (type: number, conn: number, seq: number): Uint8Array => encodeGw({ type, conn, seq, payload: new Uint8Array(0) });
  const id = mux.open();
  for (let i = 0; i < 5; i++) mux.fromClient(id, new Uint8Array(GW_MAX_PAYLOAD));
  t.equal(mux.inFlight, 4);
  t.equal(mux.stats.windowStalls, 1);
  mux.fromGuest(g(GwType.ack, id, 99));
  mux.fromGuest(g(GwType.ack, id, 5)); // one past the four sent
  t.equal(mux.stats.badAcks, 2);
  t.equal(mux.inFlight, 4, 'an ack past what was sent frees nothing');
  mux.fromGuest(g(GwType.ack, id, 2));
  t.equal(mux.inFlight, 4, 'two acked, two more sent');
  t.equal(out.length, 6);
  mux.fromGuest(g(GwType.ack, id, 1));
  t.equal(mux.inFlight, 4, 'a stale ack changes nothing');
  mux.fromGuest(g(GwType.ack, 77, 1));
  mux.fromGuest(g(GwType.data, 0, 1));
  t.equal(mux.stats.unknownConn, 2);
  mux.fromGuest(g(GwType.open, id, 1));
  mux.fromGuest(g(9, id, 1));
  t.equal(mux.stats.malformed, 2);
  t.equal(mux.inFlight, 4, 'malformed datagrams acknowledge nothing');
  mux.fromGuest(g(GwType.ack, id, 6));
  t.equal(mux.inFlight, 0);
  t.same(out.map((d) => d.seq), [0, 1, 2, 3, 4, 5]);
});

t.test('random bytes from the guest never throw and are all counted', async (t) => {
  fc.assert(fc.property(fc.array(fc.oneof(
    fc.uint8Array({ maxLength: 40 }),
    // Well-formed headers with random fields, so the checks past the magic are reached.
    fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 20 }), fc.uint8Array({ maxLength: 20 }))
      .map(([type, conn, seq, p]) => encodeGw({ type, conn, seq, payload: p })),
  ), { maxLength: 60 }), (datagrams) => {
    const mux = new GatewayMux({
      toGuest: () => {}, window: 3,
      clients: { write: () => {}, end: () => {}, pause: () => {}, resume: () => {} },
    });
    mux.open();
    mux.open();
    let malformed = 0;
    for (const b of datagrams) {
      const d = decodeGw(b);
      if (typeof d === 'string' || ![GwType.data, GwType.close, GwType.ack, GwType.hello].includes(d.type as 2)) malformed++;
      mux.fromGuest(b);
      if (mux.inFlight < 0 || mux.inFlight > 3) return false;
    }
    return mux.stats.malformed === malformed && mux.stats.datagramsFromGuest === datagrams.length;
  }), { numRuns: 300 });
  t.pass();
});
