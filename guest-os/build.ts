/**
 * Builds the project's default guest (guest-os/hello/kernel.s) on demand for `vamos boot`
 * without an image.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { assemble } from '../toolchain/as/assemble.js';
import type { Image } from '../toolchain/image/format.js';
import { projectFile } from '../vmm/paths.js';

let cached: Image | undefined;

export const DEFAULT_GUEST_SOURCE = ['guest-os', 'hello', 'kernel.s'];

export function defaultGuest(): Image {
  if (cached) return cached;
  const file = projectFile(...DEFAULT_GUEST_SOURCE);
  cached = assemble(readFileSync(file, 'utf8'), { file, includeDirs: [dirname(file)] }).image;
  return cached;
}
