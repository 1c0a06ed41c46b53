/**
 * A small WebAssembly binary encoder: just what the region compiler emits (one imported memory,
 * i32/i64 integer code, structured control flow, a few functions). Writing the bytes directly
 * costs microseconds per region; an optimizer such as binaryen would add milliseconds per region
 * for little gain, because V8's own compiler already allocates registers and folds constants
 * (docs/jit.md, "Why no binaryen").
 */

export const I32 = 0x7f, I64 = 0x7e, VOID = 0x40;

/** Opcodes used by the compiler (WebAssembly core spec, binary format §5.4). */
export const Op = {
  unreachable: 0x00, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c,
  br_if: 0x0d, br_table: 0x0e, return: 0x0f, call: 0x10,
  // tail calls (WebAssembly 3.0; on by default since V8 11.2, Node 20)
  return_call: 0x12, return_call_indirect: 0x13, drop: 0x1a, select: 0x1b,
  local_get: 0x20, local_set: 0x21, local_tee: 0x22, global_get: 0x23,
  i32_load: 0x28, i32_load8_u: 0x2d, i32_load16_u: 0x2f, i32_store: 0x36, i32_store8: 0x3a, i32_store16: 0x3b,
  i32_const: 0x41, i64_const: 0x42,
  i32_eqz: 0x45, i32_eq: 0x46, i32_ne: 0x47, i32_lt_s: 0x48, i32_lt_u: 0x49, i32_gt_s: 0x4a,
  i32_gt_u: 0x4b, i32_le_s: 0x4c, i32_le_u: 0x4d, i32_ge_s: 0x4e, i32_ge_u: 0x4f,
  i64_eqz: 0x50, i64_eq: 0x51, i64_ne: 0x52, i64_lt_s: 0x53, i64_lt_u: 0x54, i64_gt_s: 0x55,
  i64_gt_u: 0x56, i64_le_s: 0x57, i64_le_u: 0x58, i64_ge_s: 0x59, i64_ge_u: 0x5a,
  i32_popcnt: 0x69, i32_add: 0x6a, i32_sub: 0x6b, i32_mul: 0x6c, i32_and: 0x71, i32_or: 0x72,
  i32_xor: 0x73, i32_shl: 0x74, i32_shr_s: 0x75, i32_shr_u: 0x76, i32_rotl: 0x77, i32_rotr: 0x78,
  i64_add: 0x7c, i64_sub: 0x7d, i64_mul: 0x7e, i64_div_s: 0x7f, i64_div_u: 0x80, i64_rem_s: 0x81,
  i64_rem_u: 0x82, i64_or: 0x84, i64_shl: 0x86, i64_shr_s: 0x87, i64_shr_u: 0x88,
  i32_wrap_i64: 0xa7, i64_extend_i32_s: 0xac, i64_extend_i32_u: 0xad,
} as const;

/** A growable byte buffer with the encodings of the binary format. */
export class Bytes {
  // Small at first: a module is built from a dozen buffers, most of them a few bytes long.
  private buf = new Uint8Array(64);
  length = 0;

  /** Room for `n` more bytes. */
  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    grown.set(this.buf.subarray(0, this.length));
    this.buf = grown;
  }

  byte(b: number): this {
    if (this.length === this.buf.length) this.reserve(1);
    this.buf[this.length++] = b;
    return this;
  }

  bytes(bs: ArrayLike<number>): this {
    this.reserve(bs.length);
    if (bs instanceof Uint8Array) { this.buf.set(bs, this.length); this.length += bs.length; return this; }
    for (let k = 0; k < bs.length; k++) this.buf[this.length++] = bs[k];
    return this;
  }

  u32(v: number): this {
    v >>>= 0;
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      this.byte(b);
    } while (v !== 0);
    return this;
  }

  /** Signed LEB128 of a 32-bit value (also used for i64.const of values that fit in 32 bits). */
  s32(v: number): this {
    v |= 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) { this.byte(b); return this; }
      this.byte(b | 0x80);
    }
  }

  /** Signed LEB128 of a bigint (i64.const). */
  s64(v: bigint): this {
    for (;;) {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) { this.byte(b); return this; }
      this.byte(b | 0x80);
    }
  }

  /** A length-prefixed vector of already-encoded bytes. */
  sized(inner: Bytes): this {
    this.u32(inner.length);
    return this.bytes(inner.view());
  }

  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

/** Function bodies as an instruction stream, with helpers for the common shapes. */
export class Code extends Bytes {
  op(o: number): this { return this.byte(o); }
  get(l: number): this { return this.byte(Op.local_get).u32(l); }
  set(l: number): this { return this.byte(Op.local_set).u32(l); }
  tee(l: number): this { return this.byte(Op.local_tee).u32(l); }
  i32(v: number): this { return this.byte(Op.i32_const).s32(v); }
  i64(v: bigint): this { return this.byte(Op.i64_const).s64(v); }
  /** Memory access with alignment hint log2(align) and a constant offset. */
  mem(o: number, alignLog2: number, offset: number): this { return this.byte(o).u32(alignLog2).u32(offset); }
}

/** The bytes of an ASCII name (import, export and module names). */
const ascii = (s: string): number[] => [...s].map((ch) => ch.charCodeAt(0));

export interface FuncDef {
  params: number[];
  results: number[];
  /** Extra locals, each one value type. */
  locals: number[];
  body: Code;
  export?: string;
}

/**
 * What a module imports from `e`, besides memory `e.m`, an immutable i32 global `e.p` (global 0:
 * the physical page a region was made from, so that its bytes do not depend on it) and the TLB
 * refill `e.r` (i32, i32) → i32 (function 0, jit-emit.ts): the vCPU's funcref table `e.t` (the
 * entry module, which calls regions through it), or the chaining function `e.o` (n, budget, eip,
 * page va, page pa) → n (function 1: region modules, which then need no table; V8 copies an
 * imported table into every instance, so instantiating cost grew with the table).
 */
export interface ModuleImports { table: boolean; chain: boolean }

/** A module with `imports` defining `funcs` (function k has type k; the imports' types follow). */
export function moduleBytes(funcs: FuncDef[], moduleName: string | undefined, imports: ModuleImports): Uint8Array {
  const out = new Bytes();
  out.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  const section = (id: number, body: Bytes): void => { out.byte(id).sized(body); };

  const types = new Bytes().u32(funcs.length + (imports.chain ? 2 : 1));
  for (const f of funcs) {
    types.byte(0x60).u32(f.params.length).bytes(f.params).u32(f.results.length).bytes(f.results);
  }
  types.byte(0x60).u32(2).bytes([I32, I32]).u32(1).bytes([I32]);
  if (imports.chain) types.byte(0x60).u32(5).bytes([I32, I32, I32, I32, I32]).u32(1).bytes([I32]);
  section(1, types);

  const imps = new Bytes().u32(3 + (imports.table ? 1 : 0) + (imports.chain ? 1 : 0));
  const name = (s: string): void => { imps.u32(s.length).bytes(ascii(s)); };
  name('e'); name('m');
  imps.byte(0x02).byte(0x00).u32(0); // memory, limits: min 0, no max (matches any memory)
  if (imports.table) {
    name('e'); name('t');
    imps.byte(0x01).byte(0x70).byte(0x00).u32(0); // table of funcref, min 0, no max
  }
  name('e'); name('p');
  imps.byte(0x03).byte(I32).byte(0x00); // global i32, immutable
  name('e'); name('r');
  imps.byte(0x00).u32(funcs.length);
  if (imports.chain) { name('e'); name('o'); imps.byte(0x00).u32(funcs.length + 1); }
  section(2, imps);
  const imported = imports.chain ? 2 : 1;

  const fns = new Bytes().u32(funcs.length);
  funcs.forEach((_, k) => fns.u32(k));
  section(3, fns);

  const exported = funcs.map((f, k) => [f.export, k + imported] as const).filter(([e]) => e !== undefined);
  const exps = new Bytes().u32(exported.length);
  for (const [e, k] of exported) {
    exps.u32(e!.length).bytes(ascii(e!)).byte(0x00).u32(k);
  }
  section(7, exps);

  const code = new Bytes().u32(funcs.length);
  for (const f of funcs) {
    const body = new Bytes();
    // Locals are run-length encoded by type.
    const runs: [number, number][] = [];
    for (const t of f.locals) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    body.u32(runs.length);
    for (const [n, t] of runs) body.u32(n).byte(t);
    body.bytes(f.body.view()).byte(Op.end);
    code.sized(body);
  }
  section(10, code);
  if (moduleName !== undefined) {
    // The name section's module name (a custom section): V8 shows it in profiles
    // (wasm://wasm/NAME-hash), so `node --cpu-prof` says which guest code a sample ran.
    const names = new Bytes().u32(4).bytes(ascii('name'));
    names.byte(0).sized(new Bytes().u32(moduleName.length).bytes(ascii(moduleName)));
    section(0, names);
  }
  return out.view().slice();
}
