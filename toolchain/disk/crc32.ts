/**
 * CRC-32 (IEEE 802.3, the zlib/PNG one: reflected polynomial 0xEDB88320, initial value and final
 * xor 0xFFFFFFFF). The boot-disk format checksums its directory and each file with it, and the
 * firmware computes the same function in guest C (firmware/crc32.c).
 */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb8_8320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffff_ffff;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffff_ffff) >>> 0;
}
