import type { Image } from './format.js';
import { validateImage } from './read.js';

/**
 * Places an image in guest RAM. Validation comes first so that a refused image leaves RAM
 * untouched; bss tails are zeroed because RAM may hold a previous guest's bytes.
 */
export function loadImage(img: Image, ram: Uint8Array, source = 'image'): void {
  validateImage(img, { ramSize: ram.length }, source);
  for (const s of img.segments) {
    ram.set(s.data, s.paddr);
    ram.fill(0, s.paddr + s.data.length, s.paddr + s.memSize);
  }
}
