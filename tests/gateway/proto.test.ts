/** The gateway framing: proto.ts and the guest's gateway.h agree, and the codec round-trips. */
import t from 'tap';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { projectFile } from '../../vmm/paths.js';
import {
  GW_HDR, GW_MAGIC0, GW_MAGIC1, GW_MAX_CONNS, GW_MAX_PAYLOAD, GW_VERSION, GW_WINDOW, GwType, decodeGw, encodeGw,
} from '../../devices/virtio/net/gateway/proto.js';

/** The header's #defines with plain numbers (or `(1472 - GW_HDR)`, evaluated). */
function defines(): Map<string, number> {
  const h = readFileSync(projectFile('middleware', 'include', 'gateway.h'), 'utf8');
  const out = new Map<string, number>();
  for (const m of h.matchAll(/^#define\s+(GW_\w+)\s+(\S[^/]*?)\s*(\/\*.*)?$/gm)) {
    const expr = m[2]!.replace(/GW_\w+/g, (n) => String(out.get(n)));
    if (/^[\d\sx()+\-*a-fA-F]+$/.test(expr)) out.set(m[1]!, Function(`return (${expr});`)() as number);
  }
  return out;
}

t.test('gateway.h and proto.ts hold the same numbers', async (t) => {
  const d = defines();
  t.equal(d.get('GW_MAGIC0'), GW_MAGIC0);
  t.equal(d.get('GW_MAGIC1'), GW_MAGIC1);
  t.equal(d.get('GW_VERSION'), GW_VERSION);
  t.equal(d.get('GW_HDR'), GW_HDR);
  t.equal(d.get('GW_MAX_PAYLOAD'), GW_MAX_PAYLOAD);
  t.equal(d.get('GW_WINDOW'), GW_WINDOW);
  t.equal(d.get('GW_MAX_CONNS'), GW_MAX_CONNS);
  for (const [name, v] of Object.entries(GwType)) t.equal(d.get(`GW_${name.toUpperCase()}`), v, name);
  t.equal(d.get('GW_OFF_TYPE'), 3);
  t.equal(d.get('GW_OFF_CONN'), 4);
  t.equal(d.get('GW_OFF_SEQ'), 8);
  t.equal(GW_MAX_PAYLOAD, 1460);
});

t.test('encode and decode round-trip; a bad header is a reason, never a throw', async (t) => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 255 }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }),
    fc.uint8Array({ maxLength: GW_MAX_PAYLOAD }), (type, conn, seq, payload) => {
      const b = encodeGw({ type, conn, seq, payload });
      const d = decodeGw(b);
      return typeof d !== 'string' && d.type === type && d.conn === conn && d.seq === seq && Buffer.from(d.payload).equals(payload);
    }), { numRuns: 300 });
  t.throws(() => encodeGw({ type: 2, conn: 1, seq: 1, payload: new Uint8Array(GW_MAX_PAYLOAD + 1) }), RangeError);
  t.type(decodeGw(new Uint8Array(11)), 'string');
  t.type(decodeGw(Uint8Array.of(0x56, 0x48, 1, 2, 0, 0, 0, 1, 0, 0, 0, 1)), 'string');
  t.type(decodeGw(Uint8Array.of(0x56, 0x47, 2, 2, 0, 0, 0, 1, 0, 0, 0, 1)), 'string');
  // Big-endian on the wire.
  t.same([...encodeGw({ type: 3, conn: 0x01020304, seq: 0x0a0b0c0d, payload: new Uint8Array(0) })],
    [0x56, 0x47, 1, 3, 1, 2, 3, 4, 10, 11, 12, 13]);
});
