/**
 * An example TypeScript module (docs/modules.md): named counters the guest can add to and read.
 * op 1 ADD: request = name bytes, then a little-endian int32 delta in the last 4 bytes;
 *           response = the new value (int32 LE).
 * op 2 GET: request = name; response = the value (int32 LE), 0 for a counter never added to.
 * It charges its own cost: a fixed dispatch plus a per-byte hashing cost, in guest cycles.
 */
import type { HypervisorModule, ModuleEnv, ModuleResult } from '../module.js';

const EINVAL = -22;
const ENOSYS = -38;

export function createModule(env: ModuleEnv): HypervisorModule {
  const counters = new Map<string, number>();
  const cost = (bytes: number): number => Math.round((50 + bytes) * env.cyclesPerInstruction);
  const reply = (response: Uint8Array, value: number, bytes: number): ModuleResult => {
    if (response.length < 4) return { status: EINVAL, cycles: cost(bytes) };
    new DataView(response.buffer, response.byteOffset).setInt32(0, value, true);
    return { status: 4, cycles: cost(bytes) };
  };
  return {
    name: env.name,
    kind: 'ts',
    call(op, request, response) {
      if (op === 1) {
        if (request.length < 5) return { status: EINVAL, cycles: cost(request.length) };
        const name = Buffer.from(request.subarray(0, request.length - 4)).toString('latin1');
        const delta = new DataView(request.buffer, request.byteOffset).getInt32(request.length - 4, true);
        const value = ((counters.get(name) ?? 0) + delta) | 0;
        counters.set(name, value);
        return reply(response, value, request.length);
      }
      if (op === 2) return reply(response, counters.get(Buffer.from(request).toString('latin1')) ?? 0, request.length);
      return { status: ENOSYS, cycles: cost(0) };
    },
  };
}
