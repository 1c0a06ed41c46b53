/**
 * `vamos serve`: the database guest in either placement behind the TCP gateway
 * (docs/gateway.md), so that redis-cli and redis-benchmark can use it. Runs in wall-clock mode
 * (vm.runAsync, docs/platform.md §5): real clients, real time. Ctrl-C closes the connections,
 * has the server close the engine (everything flushed to the volume) and prints the exit table;
 * a second Ctrl-C stops at once.
 */
import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readSync, unlinkSync } from 'node:fs';
import { MemoryBackend, type BlockBackend } from '../devices/virtio/blk/backend.js';
import { FileBackend } from '../devices/virtio/blk/file-backend.js';
import { GatewayBackend } from '../devices/virtio/net/gateway/backend.js';
import { GW_MAX_CONNS } from '../devices/virtio/net/gateway/proto.js';
import { dbMachine, SERVER_PORT, type IommuMode } from '../middleware/db-machine.js';
import { PLACEMENTS, type Placement } from '../middleware/build.js';
import { formatPerfKvmStat } from '../vmm/stats.js';
import { TraceRecorder } from '../vmm/trace/recorder.js';
import { parseArgs, usage, UsageError, type Flags, CPU_FLAG, applyCpuFlag } from './args.js';
import { deviceSummary, loadProfileFlag, summaryLine } from './boot.js';
import { ConsoleStream, type Io } from './io.js';
import { closeModules, loadModules, MODULE_FLAG, moduleSummary, parseModuleFlags } from './modules.js';
import type { HypervisorModule } from '../middleware/host/module.js';
import type { Vm } from '../vmm/vm.js';

const FLAGS = {
  help: { kind: 'boolean', help: 'show this help' },
  placement: { kind: 'string', value: 'guest|vamos', help: 'where the storage engine runs: in the guest (default) or at the hypervisor level' },
  port: { kind: 'count', value: 'N', help: 'the TCP port on 127.0.0.1 clients connect to (default 6380; 0: any free port)' },
  volume: { kind: 'string', value: 'FILE', help: 'keep the database in this host file (created if missing); default: in memory, gone at exit' },
  'volume-size': { kind: 'size', value: 'SIZE', help: 'the size of a new volume (default 64M)' },
  iommu: { kind: 'string', value: 'MODE', help: 'off (default), strict or deferred' },
  pool: { kind: 'count', value: 'PAGES', help: 'the engine\'s buffer pool in 4 KiB pages (default 1024)' },
  profile: { kind: 'string', value: 'NAME|FILE', help: 'cost profile (default nehalem-2011)' },
  trace: { kind: 'string', value: 'FILE', help: 'record every exit for vamos report (docs/trace-format.md)' },
  'trace-ring': { kind: 'count', value: 'N', help: 'with --trace: keep only the last N exits' },
  module: MODULE_FLAG,
  ...CPU_FLAG,
} satisfies Flags;

const DEFAULT_PORT = 6380;
const DEFAULT_VOLUME = 64 << 20;
/** The engine counts the volume's sectors in 32 bits (osal_vol_sectors): at most 2047 GiB. */
const MAX_VOLUME = 2047 * 1024 ** 3;
const MIN_VOLUME = 1 << 20;
/** How long Ctrl-C waits for the server to flush and exit before giving up. */
const SHUTDOWN_GRACE_MS = 30_000;

export function serveUsage(): string {
  return usage('vamos serve [options]',
    'Boots the database guest (docs/vamos.md) with a TCP gateway on 127.0.0.1 for Redis clients\n(docs/gateway.md): redis-cli -p PORT. Ctrl-C flushes the database, stops and prints the exit table.',
    FLAGS);
}

function openVolume(path: string | undefined, size: number): { volume: BlockBackend; where: string } {
  if (path === undefined) return { volume: new MemoryBackend(size / 512), where: 'in memory (gone at exit; --volume FILE keeps it)' };
  if (!existsSync(path)) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (e) {
      throw new Error(`--volume ${path}: cannot create it: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    try {
      ftruncateSync(fd, size);
    } catch (e) {
      // Leave nothing behind: an empty file would be refused at every later start.
      closeSync(fd);
      try { unlinkSync(path); } catch { /* already gone */ }
      throw new Error(`--volume ${path}: cannot make a ${size >> 20} MiB volume here: ${(e as NodeJS.ErrnoException).code ?? String(e)} (a smaller --volume-size, or another file system)`);
    }
    closeSync(fd);
    return { volume: new FileBackend(path), where: `${path} (new, ${size >> 20} MiB)` };
  }
  refuseForeignVolume(path);
  return { volume: new FileBackend(path), where: path };
}

/** The engine's superblock starts with these bytes in sector 0 or 1 (middleware/engine/engine.c: SB_MAGIC0/1). */
const SUPERBLOCK_MAGIC = Buffer.from('VAM\0OSD1', 'latin1');
/** A file whose start is all zeros is a fresh volume the engine may format. */
const FRESH_PROBE = 64 * 1024;

/**
 * The engine formats a volume with no superblock; an existing file given by mistake (a typo in
 * --volume) must not be formatted. Serve formats only files it creates, and ones that are zero
 * at the start (made by truncate or dd); anything else is refused.
 */
function refuseForeignVolume(path: string): void {
  const head = Buffer.alloc(FRESH_PROBE);
  let n = 0;
  let size = 0;
  let regular = true;
  try {
    const fd = openSync(path, 'r');
    try {
      const st = fstatSync(fd);
      regular = st.isFile();
      size = st.size;
      if (regular) n = readSync(fd, head, 0, FRESH_PROBE, 0);
    } finally { closeSync(fd); }
  } catch {
    return; // FileBackend reports why it cannot open the file, in one line
  }
  if (!regular) return; // FileBackend: not a regular file
  if (size < MIN_VOLUME || size % 4096 !== 0) {
    const what = size === 0 ? 'an empty file (0 bytes)' : `a file of ${size} bytes`;
    throw new Error(`--volume ${path}: ${what}, not a vamos database volume (a volume is a multiple of 4 KiB, at least 1 MiB); remove it and vamos serve creates a new one`);
  }
  const sector = (i: number): Buffer => head.subarray(i * 512, i * 512 + SUPERBLOCK_MAGIC.length);
  if (sector(0).equals(SUPERBLOCK_MAGIC) || sector(1).equals(SUPERBLOCK_MAGIC)) return;
  if (head.subarray(0, n).every((b) => b === 0)) return;
  throw new Error(`--volume ${path}: not a vamos database (no engine superblock) and not empty; not formatting it`);
}

export async function serveMain(argv: string[], io: Io): Promise<number> {
  const { flags, positional } = parseArgs(argv, FLAGS);
  applyCpuFlag(flags.cpu);
  if (flags.help) { io.stdout(serveUsage()); return 0; }
  if (positional.length > 0) throw new UsageError(`serve takes no positional arguments, got '${positional[0]}'`);
  const placement = (flags.placement ?? 'guest') as Placement;
  if (!PLACEMENTS.includes(placement)) throw new UsageError(`--placement ${flags.placement}: expected guest or vamos`);
  const iommu = (flags.iommu ?? 'off') as IommuMode;
  if (!['off', 'strict', 'deferred'].includes(iommu)) throw new UsageError(`--iommu ${flags.iommu}: expected off, strict or deferred`);
  const port = flags.port ?? DEFAULT_PORT;
  if (port > 65535) throw new UsageError(`--port ${port}: expected 0..65535`);
  const poolPages = flags.pool ?? 1024;
  if (poolPages < 16 || poolPages > 65536) throw new UsageError(`--pool ${poolPages}: expected 16..65536 pages`);
  const size = flags['volume-size'] ?? DEFAULT_VOLUME;
  if (size < MIN_VOLUME || size > MAX_VOLUME || size % 4096 !== 0) throw new UsageError(`--volume-size: ${size} bytes is not a multiple of 4 KiB from 1M to 2047G`);
  if (flags['trace-ring'] !== undefined && flags.trace === undefined) throw new UsageError('--trace-ring needs --trace FILE');
  const moduleSpecs = parseModuleFlags(flags.module);
  if (placement === 'vamos' && moduleSpecs.some((m) => m.name === 'vamos-engine')) {
    throw new UsageError('--module vamos-engine: the name is taken by the database engine in the vamos placement');
  }
  const profile = loadProfileFlag(flags.profile);
  let vmRef: Vm | undefined;
  const modules = await loadModules(moduleSpecs, { profile, io, now: () => vmRef?.clock.now ?? 0 });
  const closeUserModules = (): void => closeModules(modules, io);

  let volume: BlockBackend, where: string;
  try {
    ({ volume, where } = openVolume(flags.volume, size));
  } catch (e) {
    closeUserModules();
    throw e;
  }
  let gateway: GatewayBackend;
  try {
    gateway = await GatewayBackend.open({ hostPort: port, guestPort: SERVER_PORT });
  } catch (e) {
    volume.close?.();
    closeUserModules();
    throw e;
  }
  const guestConsole = new ConsoleStream(io);
  let trace: TraceRecorder | undefined;
  let db: ReturnType<typeof dbMachine>;
  try {
    trace = flags.trace !== undefined ? new TraceRecorder(flags.trace, { ring: flags['trace-ring'], label: `serve ${placement}` }) : undefined;
    db = dbMachine({
      placement, iommu, profile, poolPages, clients: GW_MAX_CONNS, volume, net: gateway, transport: 'gateway', trace, maxInstructions: 0,
      onConsole: (b) => guestConsole.put(b), onModuleFailure: (line) => io.stderr(`vamos: ${line}\n`),
    });
    for (const m of modules as HypervisorModule[]) db.registry.add(m);
  } catch (e) {
    // The listening gateway would keep the process alive: a bad --trace path must not hang.
    gateway.close();
    volume.close?.();
    closeUserModules();
    throw e;
  }
  const vm = db.machine.vm;
  vmRef = vm;
  const say = (line: string): void => io.stderr(`vamos serve: ${line}\n`);
  say(`the database in the ${placement} placement, profile ${profile.name}, iommu ${iommu}, pool ${poolPages} pages; volume ${where}`);
  let stopping = false;
  gateway.onReady = () => {
    if (!stopping) say(`ready: 127.0.0.1:${gateway.hostPort} (redis-cli -p ${gateway.hostPort}); Ctrl-C stops`);
  };
  let graceTimer: NodeJS.Timeout | undefined;
  const onSigint = (): void => {
    if (stopping) {
      say('stopped at once (second Ctrl-C): the volume is as the last commit left it; the log replays at the next start');
      process.exit(130);
    }
    stopping = true;
    say('stopping: closing the connections and flushing the database (Ctrl-C again to stop at once)');
    gateway.shutdown();
    graceTimer = setTimeout(() => {
      say(`the server did not stop within ${SHUTDOWN_GRACE_MS / 1000} s; stopping at once`);
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    graceTimer.unref();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const hostStart = performance.now();
  const r = await db.machine.runAsync({ clock: 'wall' }).finally(() => {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    if (graceTimer) clearTimeout(graceTimer);
    gateway.close();
    volume.close?.();
    closeUserModules();
  });
  guestConsole.flush();
  trace?.close({ profile: profile.name, cpuHz: profile.cpuHz, stop: r.message, symbols: db.symbols() });
  const hostSeconds = (performance.now() - hostStart) / 1e3;
  io.stdout('\n' + summaryLine(vm, r) + `\nwall-clock mode: ${(r.cycles / profile.cpuHz).toFixed(3)} s of virtual time in ${hostSeconds.toFixed(3)} s on the host\n` + deviceSummary(vm) + gatewaySummary(gateway) + moduleSummary(db.registry, profile.cpuHz) + '\n' + formatPerfKvmStat(vm.stats, profile.cpuHz));
  if (r.stop === 'poweroff' && r.exitCode === 0) return 0;
  say(`the guest stopped: ${r.message}`);
  return 1;
}

function gatewaySummary(g: GatewayBackend): string {
  const s = g.stats;
  return `gateway (127.0.0.1:${g.hostPort}): ${s.connectionsOpened} connections, ${s.bytesFromClients} bytes in, ${s.bytesToClients} bytes out, ` +
    `${s.datagramsToGuest} datagrams to the guest, ${s.datagramsFromGuest} back, ${s.windowStalls} window stalls\n`;
}
