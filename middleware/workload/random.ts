/**
 * Deterministic randomness for the workload: a seeded PRNG and the key choosers of YCSB
 * (Cooper et al., "Benchmarking Cloud Serving Systems with YCSB", SoCC 2010). Nothing here
 * reads the clock or Math.random, so a seed names one exact workload.
 */

/** sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): 32-bit state words, fast, good enough. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** 64-bit FNV-1a of a number's 8 bytes, as YCSB scrambles zipfian ranks (Utils.fnvhash64). */
export function fnv64(x: number): bigint {
  let h = 0xcbf29ce484222325n;
  let v = BigInt(x);
  for (let i = 0; i < 8; i++) {
    h ^= v & 0xffn;
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
    v >>= 8n;
  }
  return h;
}

export interface KeyChooser {
  /** A record number in [0, n). */
  next(rng: Rng): number;
}

export class UniformKeys implements KeyChooser {
  constructor(private readonly n: number) {}
  next(rng: Rng): number {
    return rng.below(this.n);
  }
}

/**
 * YCSB's zipfian generator (Gray et al., "Quickly Generating Billion-Record Synthetic
 * Databases", SIGMOD 1994) with theta 0.99, and YCSB's scrambling: the rank is hashed so that
 * the popular records are spread over the key space rather than clustered at its start.
 */
export class ZipfianKeys implements KeyChooser {
  static readonly THETA = 0.99;
  private readonly alpha: number;
  private readonly zetan: number;
  private readonly eta: number;
  private readonly half: number;

  constructor(private readonly n: number, private readonly scrambled = true) {
    const theta = ZipfianKeys.THETA;
    let zetan = 0;
    for (let i = 1; i <= n; i++) zetan += 1 / Math.pow(i, theta);
    const zeta2 = 1 + 1 / Math.pow(2, theta);
    this.zetan = zetan;
    this.alpha = 1 / (1 - theta);
    this.eta = (1 - Math.pow(2 / n, 1 - theta)) / (1 - zeta2 / zetan);
    this.half = Math.pow(0.5, theta);
  }

  /** The rank (0 = most popular). */
  rank(rng: Rng): number {
    const u = rng.next();
    const uz = u * this.zetan;
    if (uz < 1) return 0;
    if (uz < 1 + this.half) return Math.min(1, this.n - 1);
    return Math.min(this.n - 1, Math.floor(this.n * Math.pow(this.eta * u - this.eta + 1, this.alpha)));
  }

  next(rng: Rng): number {
    const r = this.rank(rng);
    return this.scrambled ? Number(fnv64(r) % BigInt(this.n)) : r;
  }
}
