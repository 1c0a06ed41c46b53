/**
 * The guest side of the gateway (middleware/dbserver/gateway.c) driven through the real
 * GatewayMux with no sockets, in a deterministic run (vm.run()): what real TCP clients cannot
 * provoke on purpose. The 65th connection is turned away as Redis turns it away; a datagram out
 * of sequence closes its connection with an error instead of feeding a broken stream to the
 * parser; a datagram for a connection the server does not know still drains the window; and
 * two runs are the same bit for bit.
 */
import t from 'tap';
import { MemoryBackend } from '../../devices/virtio/blk/backend.js';
import { GatewayBackend } from '../../devices/virtio/net/gateway/backend.js';
import { encodeGw, GwType } from '../../devices/virtio/net/gateway/proto.js';
import { buildUdpFrame } from '../../devices/virtio/net/frames.js';
import { dbMachine, SERVER_PORT } from '../../middleware/db-machine.js';
import { encodeCommand } from '../../middleware/workload/resp.js';
import { loadProfile } from '../../vmm/profile.js';
import { guestMac, NET_GATEWAY_IP, NET_GATEWAY_MAC, NET_GUEST_IP } from '../../vmm/platform.js';

interface Client { got: string; ended: boolean }

const BIG = 'x'.repeat(1000);
const GET_REPLY = `$1000\r\n${BIG}\r\n`;
const GETS = 4000;

function scenario(placement: 'guest' | 'vamos') {
  const clients = new Map<number, Client>();
  const client = (c: number): Client => clients.get(c) ?? clients.set(c, { got: '', ended: false }).get(c)!;
  const gw = new GatewayBackend(undefined, 6380, SERVER_PORT, {
    clients: {
      write: (c, b) => { client(c).got += Buffer.from(b).toString('latin1'); },
      end: (c) => { client(c).ended = true; },
      pause: () => {},
      resume: () => {},
    },
  });
  const profile = loadProfile('nehalem-2011');
  const db = dbMachine({
    placement, iommu: 'off', profile, poolPages: 64, clients: 64, volume: new MemoryBackend((8 << 20) / 512),
    net: gw, transport: 'gateway', maxInstructions: 2_000_000_000,
  });
  const vm = db.machine.vm;
  const later = (ms: number, fn: () => void): void => { vm.clock.schedule(vm.clock.now + (ms * profile.cpuHz) / 1e3, fn); };
  const conns: number[] = [];
  let lost = 0;
  gw.onReady = () => later(1, () => {
    // 65 connections, each with a PING: the last one is one too many.
    for (let i = 0; i < 65; i++) {
      const c = gw.mux.open();
      conns.push(c);
      gw.mux.fromClient(c, encodeCommand(['PING']));
    }
    later(100, () => {
      // A SET split across three datagrams on connection 1.
      const set = encodeCommand(['SET', 'split', 'across datagrams']);
      gw.mux.fromClient(conns[0]!, set.subarray(0, 5));
      later(1, () => gw.mux.fromClient(conns[0]!, set.subarray(5, 20)));
      later(2, () => gw.mux.fromClient(conns[0]!, set.subarray(20)));
      later(3, () => gw.mux.fromClient(conns[0]!, encodeCommand(['GET', 'split'])));
      // Connection 2's next datagram number is 2 (OPEN 0, PING 1): send 7 behind the mux's back.
      later(10, () => {
        lost = conns[1]!;
        gw.onReceive!(buildUdpFrame({
          srcMac: NET_GATEWAY_MAC, dstMac: guestMac(0), srcIp: NET_GATEWAY_IP, dstIp: NET_GUEST_IP, srcPort: SERVER_PORT, dstPort: SERVER_PORT,
          payload: encodeGw({ type: GwType.data, conn: lost, seq: 7, payload: encodeCommand(['PING']) }),
        }));
      });
      // Connection 3 pipelines 4,000 GETs of 1 KiB: 2,800 reply datagrams in a burst, far more
      // than the guest's transmit ring holds, so the server's sends must wait for room.
      later(20, () => {
        gw.mux.fromClient(conns[2]!, encodeCommand(['SET', 'kilo', BIG]));
        gw.mux.fromClient(conns[2]!, Buffer.from('GET kilo\r\n'.repeat(GETS)));
      });
      later(400, () => {
        for (const c of conns) gw.mux.clientGone(c);
        gw.shutdown();
      });
    });
  });
  const r = db.machine.run();
  return { r, clients, conns, lost, stats: gw.stats, exits: vm.stats.allRows().map((x) => `${x.reason} ${x.device} ${x.count} ${x.totalCycles}`) };
}

for (const placement of ['guest', 'vamos'] as const) {
  t.test(`the ${placement} placement`, async (t) => {
    const a = scenario(placement);
    t.equal(a.r.stop, 'poweroff', a.r.message);
    t.equal(a.r.exitCode, 0);
    t.match(a.r.console, /dbserver: shut down \(ok\)/);
    t.equal(a.conns.length, 65);
    const first = a.clients.get(a.conns[0]!)!;
    t.equal(first.got, '+PONG\r\n+OK\r\n$16\r\nacross datagrams\r\n', 'a request split across datagrams');
    t.same(a.conns.slice(3, 64).map((c) => a.clients.get(c)?.got), Array(61).fill('+PONG\r\n'), 'connections 4..64: PONG');
    const big = a.clients.get(a.conns[2]!)!.got;
    t.equal(big.length, '+PONG\r\n+OK\r\n'.length + GETS * GET_REPLY.length, `every byte of ${GETS} pipelined 1 KiB replies`);
    t.ok(big === `+PONG\r\n+OK\r\n${GET_REPLY.repeat(GETS)}`, 'in order and intact');
    const last = a.clients.get(a.conns[64]!)!;
    t.same(last, { got: '-ERR max number of clients reached\r\n', ended: true }, 'the 65th is turned away, as Redis does');
    const lost = a.clients.get(a.lost)!;
    t.same(lost, { got: '+PONG\r\n-ERR gateway: lost datagram\r\n', ended: true }, 'out of sequence: an error and CLOSE, nothing parsed');
    t.equal(a.stats.malformed, 0);
    t.ok(a.stats.badAcks >= 1, 'the reply to the forged datagram acknowledges beyond what the mux sent');
    t.ok(a.stats.windowStalls > 0, '65 OPENs at once wait for the window');
    const b = scenario(placement);
    t.same(b.exits, a.exits, 'a second run makes the same exits, bit for bit');
    t.equal(b.r.cycles, a.r.cycles);
  });
}
