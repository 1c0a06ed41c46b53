/**
 * Builds the database of the VAMOS experiment from one set of C sources (docs/vamos.md):
 *   dbServerImage('guest')  the server with the storage engine linked in (baseline placement)
 *   dbServerImage('vamos')  the same server with the VAMOS stub instead of the engine
 *   engineModuleImage()     the engine as a hypervisor-resident module, over host calls
 * All three are cached by os-build.ts.
 */
import type { Image } from '../toolchain/image/format.js';
import { buildCachedImage, buildUserImage, sourcesIn } from '../guest-os/os-build.js';
import { moduleRuntimeSource, MODULE_TEXT_BASE } from './host/build.js';
import { projectFile } from '../vmm/paths.js';

export type Placement = 'guest' | 'vamos';
export const PLACEMENTS: readonly Placement[] = ['guest', 'vamos'];
/**
 * How the VAMOS stub reaches the engine: 'vmcall', one MODULE_CALL hypercall per operation (the
 * vCPU stops for the call), or 'virtio', the module channel (devices/virtio/modchan), whose
 * backend runs the engine on a host thread while the vCPU goes on (the prototype's Virtio-SQL).
 */
export type Transport = 'vmcall' | 'virtio';
export const TRANSPORTS: readonly Transport[] = ['vmcall', 'virtio'];

const mw = (...p: string[]): string => projectFile('middleware', ...p);

export function dbServerImage(placement: Placement, transport: Transport = 'vmcall'): Image {
  if (placement === 'guest') {
    return buildUserImage('dbserver-guest', [mw('dbserver'), mw('server'), mw('netserve'), mw('engine'), mw('osal', 'guest.c')],
      [mw('include'), mw('server'), mw('vamos')], ['PLACEMENT="guest"']);
  }
  const virtio = transport === 'virtio';
  const engineSide = [mw('vamos', 'stub.c'), mw('vamos', virtio ? 'transport_virtio.c' : 'transport_guest.c'), mw('engine', 'strerror.c')];
  return buildUserImage(virtio ? 'dbserver-vamos-virtio' : 'dbserver-vamos', [mw('dbserver'), mw('server'), mw('netserve'), ...engineSide],
    [mw('include'), mw('server'), mw('vamos')],
    virtio ? ['PLACEMENT="vamos-virtio"', 'VAMOS_STUB', 'VAMOS_CHANNEL'] : ['PLACEMENT="vamos"', 'VAMOS_STUB']);
}

export function engineModuleImage(): Image {
  return buildCachedImage({
    kind: 'module-engine',
    inputs: [moduleRuntimeSource(), ...sourcesIn(mw('engine'), mw('osal', 'host.c'), mw('vamos', 'module.c'), mw('vamos', 'module_entry.c'))],
    includeDirs: [mw('include'), mw('vamos')],
    textBase: MODULE_TEXT_BASE,
  });
}
