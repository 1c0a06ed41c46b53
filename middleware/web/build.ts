/**
 * Builds the web server from one set of C sources (docs/web.md), as middleware/build.ts builds
 * the database, with the same helpers (so the same compiler options):
 *   webServerImage('guest')  the server with the file layer linked in (baseline placement)
 *   webServerImage('vamos')  the same server with the stub instead of the file layer
 *   filesModuleImage()       the file layer as a hypervisor-resident module, over host calls
 */
import type { Image } from '../../toolchain/image/format.js';
import { buildCachedImage, buildUserImage, sourcesIn } from '../../guest-os/os-build.js';
import { moduleRuntimeSource, MODULE_TEXT_BASE } from '../host/build.js';
import { projectFile } from '../../vmm/paths.js';
import type { Placement } from '../build.js';

const mw = (...p: string[]): string => projectFile('middleware', ...p);
const web = (...p: string[]): string => mw('web', ...p);
const includes = (): string[] => [mw('include'), web('include'), web('files'), web('http')];

export function webServerImage(placement: Placement): Image {
  const fileSide = placement === 'guest' ? [web('files'), mw('osal', 'guest.c')] : [web('vamos', 'stub.c')];
  return buildUserImage(`webserver-${placement}`, [web('server'), web('http'), mw('netserve'), ...fileSide],
    [...includes(), web('vamos')], placement === 'guest' ? ['PLACEMENT="guest"'] : ['PLACEMENT="vamos"', 'VAMOS_STUB']);
}

export function filesModuleImage(): Image {
  return buildCachedImage({
    kind: 'module-files',
    inputs: [moduleRuntimeSource(), ...sourcesIn(web('files'), mw('osal', 'host.c'), web('vamos', 'module.c'))],
    includeDirs: [...includes(), web('vamos')],
    textBase: MODULE_TEXT_BASE,
  });
}
