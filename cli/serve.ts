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
import { dbMachine, SERVER_PORT } from '../middleware/db-machine.js';
import { TraceRecorder } from '../vmm/trace/recorder.js';
import { parseArgs, usage, UsageError, type Flags, CPU_FLAG, applyCpuFlag } from './args.js';
import { loadProfileFlag } from './boot.js';
import { ConsoleStream, type Io } from './io.js';
import { closeModules, loadModules, MODULE_FLAG } from './modules.js';
import type { HypervisorModule } from '../middleware/host/module.js';
import type { Vm } from '../vmm/vm.js';
import { commonOptions, moduleOptions, placementText, runServed } from './serve-run.js';
import { serveWeb } from './serve-web.js';

export const FLAGS = {
  help: { kind: 'boolean', help: 'show this help' },
  app: { kind: 'string', value: 'redis|http', help: 'the server: the database for Redis clients (default) or the web server (docs/web.md)' },
  site: { kind: 'string', value: 'DIR|FILE', help: 'with --app http: the folder to serve, or a volume from vamos mksite (required)' },
  cache: { kind: 'count', value: 'PAGES', help: 'with --app http: the file layer\'s page cache in 4 KiB pages (default 1024)' },
  placement: { kind: 'string', value: 'guest|vamos', help: 'where the storage engine (or the file layer) runs: in the guest (default) or at the hypervisor level' },
  transport: { kind: 'string', value: 'vmcall|virtio', help: 'with --placement vamos: how the guest reaches the engine (or file layer): a vmcall per operation (default) or the virtio module channel' },
  port: { kind: 'count', value: 'N', help: 'the TCP port on 127.0.0.1 clients connect to (default 6380, http 8080; 0: any free port)' },
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

export function serveUsage(): string {
  return usage('vamos serve [options]',
    'Boots the database guest (docs/vamos.md) with a TCP gateway on 127.0.0.1 for Redis clients\n(docs/gateway.md): redis-cli -p PORT. Ctrl-C flushes the database, stops and prints the exit table.\nWith --app http --site DIR it boots the web server instead (docs/web.md): curl http://127.0.0.1:PORT/.',
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
  const app = flags.app ?? 'redis';
  if (app !== 'redis' && app !== 'http') throw new UsageError(`--app ${app}: expected redis or http`);
  if (app === 'http') return serveWeb(flags, io);
  if (flags.site !== undefined || flags.cache !== undefined) throw new UsageError(`--${flags.site !== undefined ? 'site' : 'cache'} is for --app http`);
  const { placement, transport, iommu, port } = commonOptions(flags, DEFAULT_PORT);
  const poolPages = flags.pool ?? 1024;
  if (poolPages < 16 || poolPages > 65536) throw new UsageError(`--pool ${poolPages}: expected 16..65536 pages`);
  const size = flags['volume-size'] ?? DEFAULT_VOLUME;
  if (size < MIN_VOLUME || size > MAX_VOLUME || size % 4096 !== 0) throw new UsageError(`--volume-size: ${size} bytes is not a multiple of 4 KiB from 1M to 2047G`);
  const moduleSpecs = moduleOptions(flags, placement, 'vamos-engine', 'the database engine');
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
      placement, engineTransport: transport, iommu, profile, poolPages, clients: GW_MAX_CONNS, volume, net: gateway, transport: 'gateway', trace, maxInstructions: 0,
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
  vmRef = db.machine.vm;
  return runServed({
    machine: db.machine, registry: db.registry, gateway, profile, io, trace, symbols: db.symbols, console: guestConsole,
    about: `the database in the ${placementText(placement, transport)} placement, profile ${profile.name}, iommu ${iommu}, pool ${poolPages} pages; volume ${where}`,
    ready: (port) => `redis-cli -p ${port}`,
    stopping: 'closing the connections and flushing the database',
    stoppedAtOnce: 'the volume is as the last commit left it; the log replays at the next start',
    cleanup: () => { volume.close?.(); closeUserModules(); },
  });
}
