import t from 'tap';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { BY_OPCODE, ISA } from '../../vmm/isa/table.js';
import { decode, decodeAt, encode, lengthOf, reservedBits, wordsToBytes, type Instruction } from '../../vmm/isa/encoding.js';
import { arbInstruction, arbInstructionOf } from './arbitrary.js';

function decodeWords(words: readonly number[]) {
  return decode(words[0]!, (k) => words[k] ?? 0);
}

t.test('decode(encode(i)) gives back i', async (t) => {
  fc.assert(fc.property(arbInstruction, (insn) => {
    const r = decodeWords(encode(insn));
    return r.ok && r.insn.def === insn.def && isDeepStrictEqual(r.insn.operands, insn.operands) && r.length === lengthOf(insn.def);
  }), { numRuns: 20000 });
  t.pass();
});

t.test('decodeAt agrees with decode on the serialised bytes', async (t) => {
  fc.assert(fc.property(arbInstruction, (insn) => {
    const r = decodeAt(wordsToBytes(encode(insn)), 0);
    return r.ok && isDeepStrictEqual(r.insn.operands, insn.operands);
  }), { numRuns: 2000 });
  t.pass();
});

t.test('every table entry encodes to lengthOf(def) bytes', async (t) => {
  for (const def of ISA) {
    fc.assert(fc.property(arbInstructionOf(def), (insn) => wordsToBytes(encode(insn)).length === lengthOf(def)), { numRuns: 50 });
  }
  t.pass(`${ISA.length} entries`);
});

t.test('setting any reserved bit makes decode refuse', async (t) => {
  for (const def of ISA) {
    const reserved = reservedBits(def.operands);
    const [sample] = fc.sample(arbInstructionOf(def), { numRuns: 1, seed: def.op });
    const words = encode(sample as Instruction);
    for (let bit = 8; bit < 32; bit++) {
      if (!(reserved & (1 << bit))) continue;
      const r = decodeWords([words[0]! | (1 << bit), ...words.slice(1)]);
      if (r.ok) t.fail(`${def.mnemonic} (0x${def.op.toString(16)}) accepts reserved bit ${bit}`);
    }
  }
  fc.assert(fc.property(arbInstruction, fc.integer({ min: 8, max: 31 }), (insn, bit) => {
    const mask = 1 << bit;
    fc.pre((reservedBits(insn.def.operands) & mask) !== 0);
    const words = encode(insn);
    return !decodeWords([words[0]! | mask, ...words.slice(1)]).ok;
  }));
  t.pass();
});

t.test('unknown opcodes refuse', async (t) => {
  let unknown = 0;
  for (let op = 0; op < 256; op++) {
    if (BY_OPCODE[op]) continue;
    unknown++;
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffff }), (high) => {
      const r = decode(op | (high << 8), () => 0);
      return !r.ok && /undefined opcode/.test(r.reason);
    }), { numRuns: 20 });
  }
  t.ok(unknown > 0, `${unknown} undefined opcodes`);
});

t.test('no two table entries share a mnemonic and operand kinds', async (t) => {
  const seen = new Map<string, number>();
  const clashes: string[] = [];
  for (const d of ISA) {
    const key = `${d.mnemonic} ${d.operands.join(',')}`;
    const other = seen.get(key);
    if (other !== undefined) clashes.push(`${key}: 0x${other.toString(16)} and 0x${d.op.toString(16)}`);
    seen.set(key, d.op);
  }
  t.same(clashes, []);
});

t.test('decoding arbitrary words never throws', async (t) => {
  fc.assert(fc.property(fc.integer(), fc.integer(), fc.integer(), (w, a, b) => {
    const r = decode(w, (k) => (k === 1 ? a : b));
    return typeof r.ok === 'boolean';
  }), { numRuns: 5000 });
  t.pass();
});
