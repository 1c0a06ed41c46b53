/**
 * Builds a hypervisor-resident module image from guest C (and assembly): the sources plus the
 * module runtime (middleware/runtime/modrt.s) and the libc, linked at MODULE_TEXT_BASE in the
 * module's own flat memory. The same compiler and the same sources build the guest-side code,
 * which is the point of the VAMOS split.
 */
import { readFileSync } from 'node:fs';
import { build, GUEST_OPT_LEVEL, type BuildOptions, type SourceInput } from '../../toolchain/cc/driver.js';
import type { Image } from '../../toolchain/image/format.js';
import { projectFile } from '../../vmm/paths.js';

export const MODULE_TEXT_BASE = 0x10000;

export function moduleRuntimeSource(): SourceInput {
  const path = projectFile('middleware', 'runtime', 'modrt.s');
  return { path: 'middleware/runtime/modrt.s', text: readFileSync(path, 'utf8') };
}

/** `inputs` must define module_init(void) and module_call(op, req, req_len, resp, resp_cap). */
export function buildModule(inputs: readonly SourceInput[], opts: BuildOptions = {}): Image {
  const includeDirs = [...(opts.includeDirs ?? []), projectFile('middleware', 'include')];
  return build([moduleRuntimeSource(), ...inputs], {
    ...opts, opt: opts.opt ?? GUEST_OPT_LEVEL, includeDirs, runtime: false, textBase: opts.textBase ?? MODULE_TEXT_BASE, entry: '_start',
  }).image;
}
