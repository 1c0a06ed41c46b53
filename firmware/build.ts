/**
 * Builds the boot ROM from firmware/bootrom.s on demand (assembling it takes milliseconds, so
 * there is no build artefact to go stale).
 */
import { readFileSync } from 'node:fs';
import { assemble } from '../toolchain/as/assemble.js';
import type { Image } from '../toolchain/image/format.js';
import { ROM_BASE } from '../vmm/memory.js';
import { projectFile } from '../vmm/paths.js';

let cached: Image | undefined;

export function bootRom(): Image {
  if (cached) return cached;
  const file = projectFile('firmware', 'bootrom.s');
  cached = assemble(readFileSync(file, 'utf8'), { file, textBase: ROM_BASE }).image;
  return cached;
}
