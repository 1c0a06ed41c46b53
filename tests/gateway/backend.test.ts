/**
 * GatewayBackend with real TCP clients on 127.0.0.1 and the model server answering its frames
 * (tests/gateway/model-server.ts) in place of the guest.
 */
import t from 'tap';
import fc from 'fast-check';
import { connect, type Socket } from 'node:net';
import { GatewayBackend } from '../../devices/virtio/net/gateway/backend.js';
import { ARP_REPLY, ARP_REQUEST, BROADCAST_MAC, buildArpFrame, buildUdpFrame, parseArp } from '../../devices/virtio/net/frames.js';
import { encodeGw } from '../../devices/virtio/net/gateway/proto.js';
import { NET_GATEWAY_IP, NET_GATEWAY_MAC, NET_GUEST_IP, guestMac } from '../../vmm/platform.js';
import { ModelServer, upper, type ModelOptions } from './model-server.js';

const PORT = 6379;

async function start(opts: Partial<ModelOptions> & { hello?: boolean } = {}): Promise<{ b: GatewayBackend; model: ModelServer }> {
  const b = await GatewayBackend.open({ hostPort: 0, guestPort: PORT });
  const model = new ModelServer({ port: PORT, window: 8, auto: true, ...opts });
  b.onReceive = (f) => model.receive(f);
  model.toGateway = (f) => b.send(f);
  if (opts.hello !== false) model.hello();
  return { b, model };
}

function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Everything the socket receives until its end. */
function collect(s: Socket): Promise<Buffer> {
  const parts: Buffer[] = [];
  s.on('data', (b: Buffer) => parts.push(b));
  return new Promise((resolve) => s.once('end', () => resolve(Buffer.concat(parts))));
}

async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  for (let i = 0; !cond(); i++) {
    if (i * 5 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A deterministic pipeline of lowercase requests, and cut points for writing it in pieces. */
function pipeline(conn: number, requests: number): { data: Buffer; cuts: number[] } {
  let text = '';
  for (let i = 0; i < requests; i++) text += `set key:${conn}:${i} value-${'x'.repeat((i * 7 + conn) % 40)}\r\n`;
  const data = Buffer.from(text);
  const cuts: number[] = [];
  let x = conn * 2654435761 >>> 0;
  for (let at = 0; at < data.length;) {
    x = (x * 1103515245 + 12345) >>> 0;
    at += 1 + (x % 3000);
    cuts.push(Math.min(at, data.length));
  }
  return { data, cuts };
}

t.test('20 connections at once, 1000 pipelined requests each, written in random pieces: every byte back in order', async (t) => {
  const { b, model } = await start();
  t.teardown(() => b.close());
  const results = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
    const s = await dial(b.hostPort);
    const got = collect(s);
    const { data, cuts } = pipeline(i, 1000);
    let from = 0;
    for (const to of cuts) {
      s.write(data.subarray(from, to));
      from = to;
      if (to % 3 === 0) await new Promise((r) => setImmediate(r));
    }
    s.end(); // half-close: the replies still come, then the gateway ends the stream
    return { sent: data, got: await got };
  }));
  for (const [i, r] of results.entries()) {
    t.ok(Buffer.from(upper(r.sent)).equals(r.got), `conn ${i}: ${r.got.length} of ${r.sent.length} bytes, in order`);
  }
  await until('every connection forgotten', () => b.mux.connections === 0 && b.mux.inFlight === 0);
  t.same(model.violations, []);
  t.equal(b.stats.connectionsOpened, 20);
  t.equal(model.clientClosed.length, 20);
  t.ok(model.maxOutstanding <= 8);
  t.equal(b.stats.socketErrors, 0);
});

t.test('1 MiB through one connection arrives intact', async (t) => {
  const { b, model } = await start();
  t.teardown(() => b.close());
  const s = await dial(b.hostPort);
  const got = collect(s);
  const data = Buffer.alloc(1 << 20);
  for (let i = 0; i < data.length; i++) data[i] = (i * 13 + (i >> 9)) & 0xff;
  s.end(data);
  t.ok(Buffer.from(upper(data)).equals(await got), 'echoed whole');
  t.comment(`pauses ${b.stats.pauses}, resumes ${b.stats.resumes}, window stalls ${b.stats.windowStalls}`);
  t.same(model.violations, []);
});

t.test('a client that stops reading holds back its own requests, not the others', async (t) => {
  const { b, model } = await start();
  t.teardown(() => b.close());
  const slow = await dial(b.hostPort);
  slow.pause(); // reads nothing: the echo fills its socket buffers
  const data = Buffer.alloc(24 << 20, 0x61);
  slow.write(data);
  await until('the slow client blocked', () => b.stats.blocks > 0, 10000);
  const fast = await dial(b.hostPort);
  const got = collect(fast);
  fast.end('ping');
  t.equal((await got).toString(), 'PING', 'another client is served meanwhile');
  const slowGot = collect(slow);
  slow.resume();
  slow.end();
  const echoed = await slowGot;
  t.equal(echoed.length, data.length);
  t.ok(echoed.equals(Buffer.alloc(data.length, 0x41)), 'all echoed');
  t.same(model.violations, []);
});

t.test('a client that disconnects mid-stream: CLOSE reaches the server, the gateway goes on', async (t) => {
  const { b, model } = await start();
  t.teardown(() => b.close());
  const s = await dial(b.hostPort);
  s.write('set k 1\r\nset k');
  await until('the bytes at the server', () => (model.all.get(1)?.length ?? 0) >= 13);
  s.destroy();
  await until('CLOSE at the server', () => model.clientClosed.includes(1));
  await until('the connection forgotten', () => b.mux.connections === 0 && b.mux.inFlight === 0);
  const s2 = await dial(b.hostPort);
  const got = collect(s2);
  s2.end('ping');
  t.equal((await got).toString(), 'PING', 'a new client is served');
  t.same(model.violations, []);
});

t.test("the server's CLOSE ends the TCP connection after its bytes", async (t) => {
  const { b, model } = await start({ closeAfter: () => 4 });
  t.teardown(() => b.close());
  const s = await dial(b.hostPort);
  const got = collect(s);
  s.write('quit');
  t.equal((await got).toString(), 'QUIT');
  s.end('more'); // dropped
  await until('the connection forgotten', () => b.mux.connections === 0 && b.mux.inFlight === 0);
  t.same(model.serverClosed, [1]);
  t.same(model.violations, []);
});

t.test('nothing reaches the guest before HELLO; onReady fires once on it', async (t) => {
  const { b, model } = await start({ hello: false });
  t.teardown(() => b.close());
  let ready = 0;
  b.onReady = () => ready++;
  const s = await dial(b.hostPort);
  const got = collect(s);
  s.end('early');
  await new Promise((r) => setTimeout(r, 30));
  t.equal(b.stats.framesToGuest, 0);
  model.hello();
  model.hello();
  t.equal((await got).toString(), 'EARLY');
  t.equal(ready, 1);
});

t.test('shutdown: CLOSE every connection, SHUTDOWN, clients ended, the port closed', async (t) => {
  const { b, model } = await start();
  t.teardown(() => b.close());
  const socks = await Promise.all([dial(b.hostPort), dial(b.hostPort), dial(b.hostPort)]);
  const ends = socks.map(collect);
  await until('three OPENs consumed', () => model.live.size === 3);
  b.shutdown();
  await Promise.all(ends);
  await until('SHUTDOWN at the server', () => model.shutdowns === 1);
  t.same([...model.clientClosed].sort(), [1, 2, 3]);
  await t.rejects(dial(b.hostPort), { code: 'ECONNREFUSED' });
  t.same(model.violations, []);
});

t.test('listening on a taken port or a bad one gives a one-line error', async (t) => {
  const b = await GatewayBackend.open({ hostPort: 0, guestPort: PORT });
  t.teardown(() => b.close());
  await t.rejects(GatewayBackend.open({ hostPort: b.hostPort, guestPort: PORT }),
    { message: `net gateway: cannot listen on 127.0.0.1:${b.hostPort}: EADDRINUSE` });
  await t.rejects(GatewayBackend.open({ hostPort: 70000, guestPort: PORT }), { message: 'net gateway: bad host port 70000' });
  await t.rejects(GatewayBackend.open({ hostPort: 0, guestPort: 0 }), { message: 'net gateway: bad guest port 0' });
});

t.test('ARP for the gateway is answered; frames the gateway does not carry are counted, never thrown', async (t) => {
  const b = new GatewayBackend(undefined, 6380, PORT);
  const out: Uint8Array[] = [];
  b.onReceive = (f) => out.push(f);
  const mac = Uint8Array.of(2, 0, 0, 0, 0, 9);
  b.send(buildArpFrame(BROADCAST_MAC, mac, { op: ARP_REQUEST, senderMac: mac, senderIp: NET_GUEST_IP, targetMac: new Uint8Array(6), targetIp: NET_GATEWAY_IP }));
  const a = parseArp(out[0]!);
  t.equal(a?.op, ARP_REPLY);
  t.same(a?.senderMac, NET_GATEWAY_MAC);
  t.same(b.guestMac, mac, 'learned the guest MAC');
  const udp = (dstPort: number, payload: Uint8Array): Uint8Array => buildUdpFrame({
    srcMac: guestMac(0), dstMac: NET_GATEWAY_MAC, srcIp: NET_GUEST_IP, dstIp: NET_GATEWAY_IP, srcPort: PORT, dstPort, payload,
  });
  b.send(udp(1234, encodeGw({ type: 6, conn: 0, seq: 0, payload: new Uint8Array(0) })));
  t.equal(b.stats.ignoredFrames, 1, 'UDP to another port');
  t.equal(b.stats.hellos, 0);
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 120 }), fc.uint8Array({ maxLength: 60 }).map((p) => udp(PORT, p))), (f) => {
    const before = b.stats.malformedFrames + b.stats.ignoredFrames + b.stats.datagramsFromGuest + b.stats.arpReplies;
    b.send(f);
    return b.stats.malformedFrames + b.stats.ignoredFrames + b.stats.datagramsFromGuest + b.stats.arpReplies === before + 1;
  }), { numRuns: 500 });
  t.ok(b.stats.malformedFrames > 0 && b.stats.malformed > 0, `${b.stats.malformedFrames} bad frames, ${b.stats.malformed} bad datagrams`);
});
