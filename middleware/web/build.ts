/**
 * Builds the web server from one set of C sources (docs/web.md), as middleware/build.ts builds
 * the database, with the same helpers (so the same compiler options):
 *   webServerImage('guest')  the server with the file layer linked in (baseline placement)
 *   webServerImage('vamos')  the same server with the stub instead of the file layer, over the
 *                            vmcall transport, or webServerImage('vamos', 'virtio') over the
 *                            module channel (middleware/web/vamos/transport_*.c)
 *   filesModuleImage()       the file layer as a hypervisor-resident module, over host calls
 */
import type { Image } from '../../toolchain/image/format.js';
import { buildCachedImage, buildUserImage, sourcesIn } from '../../guest-os/os-build.js';
import { moduleRuntimeSource, MODULE_TEXT_BASE } from '../host/build.js';
import { projectFile } from '../../vmm/paths.js';
import type { Placement, Transport } from '../build.js';

const mw = (...p: string[]): string => projectFile('middleware', ...p);
const web = (...p: string[]): string => mw('web', ...p);
const includes = (): string[] => [mw('include'), web('include'), web('files'), web('http')];

/** The server image; `transport` matters only for the 'vamos' placement (the guest's has no stub). */
export function webServerImage(placement: Placement, transport: Transport = 'vmcall'): Image {
  if (placement === 'guest') {
    return buildUserImage('webserver-guest', [web('server'), web('http'), mw('netserve'), web('files'), mw('osal', 'guest.c')],
      [...includes(), web('vamos')], ['PLACEMENT="guest"']);
  }
  const virtio = transport === 'virtio';
  return buildUserImage(virtio ? 'webserver-vamos-virtio' : 'webserver-vamos',
    [web('server'), web('http'), mw('netserve'), web('vamos', 'stub.c'), web('vamos', virtio ? 'transport_virtio.c' : 'transport_vmcall.c')],
    [...includes(), web('vamos')], [virtio ? 'PLACEMENT="vamos-virtio"' : 'PLACEMENT="vamos"', 'VAMOS_STUB']);
}

export function filesModuleImage(): Image {
  return buildCachedImage({
    kind: 'module-files',
    inputs: [moduleRuntimeSource(), ...sourcesIn(web('files'), mw('osal', 'host.c'), web('vamos', 'module.c'))],
    includeDirs: [...includes(), web('vamos')],
    textBase: MODULE_TEXT_BASE,
  });
}
