/**
 * What `vamos serve` does for every server it boots (cli/serve.ts: the database; cli/serve-web.ts:
 * the web server): the options they share, and the run behind the TCP gateway in wall-clock mode.
 */
import type { GatewayBackend } from '../devices/virtio/net/gateway/backend.js';
import { PLACEMENTS, TRANSPORTS, type Placement, type Transport } from '../middleware/build.js';
import type { IommuMode } from '../middleware/db-machine.js';
import type { ModuleRegistry } from '../middleware/host/registry.js';
import type { OsMachine } from '../testing/os.js';
import type { CostProfile } from '../vmm/profile.js';
import { formatPerfKvmStat } from '../vmm/stats.js';
import type { TraceRecorder } from '../vmm/trace/recorder.js';
import { UsageError } from './args.js';
import { deviceSummary, summaryLine } from './boot.js';
import type { ConsoleStream, Io } from './io.js';
import { moduleSummary, parseModuleFlags } from './modules.js';

/** How long Ctrl-C waits for the server to stop before giving up. */
const SHUTDOWN_GRACE_MS = 30_000;

/** --placement, --iommu and --port, checked. */
export function commonOptions(flags: { placement?: string; transport?: string; iommu?: string; port?: number }, defaultPort: number): { placement: Placement; transport: Transport; iommu: IommuMode; port: number } {
  const placement = (flags.placement ?? 'guest') as Placement;
  if (!PLACEMENTS.includes(placement)) throw new UsageError(`--placement ${flags.placement}: expected guest or vamos`);
  const transport = (flags.transport ?? 'vmcall') as Transport;
  if (!TRANSPORTS.includes(transport)) throw new UsageError(`--transport ${flags.transport}: expected vmcall or virtio`);
  // The baseline has no stub, so nothing to carry: a transport there would be silently ignored.
  if (flags.transport !== undefined && placement !== 'vamos') throw new UsageError('--transport is for --placement vamos (the guest placement has no stub)');
  const iommu = (flags.iommu ?? 'off') as IommuMode;
  if (!['off', 'strict', 'deferred'].includes(iommu)) throw new UsageError(`--iommu ${flags.iommu}: expected off, strict or deferred`);
  const port = flags.port ?? defaultPort;
  if (port > 65535) throw new UsageError(`--port ${port}: expected 0..65535`);
  return { placement, transport, iommu, port };
}

/** The placement as the ready and stop lines name it: 'guest', 'vamos' or 'vamos (virtio)'. */
export function placementText(placement: Placement, transport: Transport): string {
  return placement === 'vamos' && transport === 'virtio' ? 'vamos (virtio transport)' : placement;
}

/** --trace-ring and --module, checked: in the vamos placement `taken` is the server's own module. */
export function moduleOptions(flags: { trace?: string; 'trace-ring'?: number; module?: string[] }, placement: Placement, taken: string, what: string): ReturnType<typeof parseModuleFlags> {
  if (flags['trace-ring'] !== undefined && flags.trace === undefined) throw new UsageError('--trace-ring needs --trace FILE');
  const moduleSpecs = parseModuleFlags(flags.module);
  if (placement === 'vamos' && moduleSpecs.some((m) => m.name === taken)) {
    throw new UsageError(`--module ${taken}: the name is taken by ${what} in the vamos placement`);
  }
  return moduleSpecs;
}

export interface Served {
  machine: OsMachine;
  registry: ModuleRegistry;
  gateway: GatewayBackend;
  profile: CostProfile;
  io: Io;
  trace: TraceRecorder | undefined;
  symbols: () => { name: string; value: number; size: number }[];
  console: ConsoleStream;
  /** The first line: what runs, where its data is. */
  about: string;
  /** The client command line for the ready line. */
  ready: (port: number) => string;
  /** What the first Ctrl-C does, and what a second one leaves behind. */
  stopping: string;
  stoppedAtOnce: string;
  /** Closes what the server used besides the gateway (volumes, modules). */
  cleanup: () => void;
}

/**
 * Runs a server guest behind the gateway in wall-clock mode until it powers off: Ctrl-C (or
 * SIGTERM) asks it to stop, a second one stops at once; then the exit table.
 */
export async function runServed(s: Served): Promise<number> {
  const { gateway, io, profile } = s;
  const vm = s.machine.vm;
  const say = (line: string): void => io.stderr(`vamos serve: ${line}\n`);
  say(s.about);
  let stopping = false;
  gateway.onReady = () => {
    if (!stopping) say(`ready: 127.0.0.1:${gateway.hostPort} (${s.ready(gateway.hostPort)}); Ctrl-C stops`);
  };
  let graceTimer: NodeJS.Timeout | undefined;
  const onSigint = (): void => {
    if (stopping) {
      say(`stopped at once (second Ctrl-C): ${s.stoppedAtOnce}`);
      process.exit(130);
    }
    stopping = true;
    say(`stopping: ${s.stopping} (Ctrl-C again to stop at once)`);
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
  const r = await s.machine.runAsync({ clock: 'wall' }).finally(() => {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    if (graceTimer) clearTimeout(graceTimer);
    gateway.close();
    s.cleanup();
  });
  s.console.flush();
  s.trace?.close({ profile: profile.name, cpuHz: profile.cpuHz, stop: r.message, symbols: s.symbols() });
  const hostSeconds = (performance.now() - hostStart) / 1e3;
  io.stdout('\n' + summaryLine(vm, r) + `\nwall-clock mode: ${(r.cycles / profile.cpuHz).toFixed(3)} s of virtual time in ${hostSeconds.toFixed(3)} s on the host\n` + deviceSummary(vm) + gatewaySummary(gateway) + moduleSummary(s.registry, profile.cpuHz) + '\n' + formatPerfKvmStat(vm.stats, profile.cpuHz));
  if (r.stop === 'poweroff' && r.exitCode === 0) return 0;
  say(`the guest stopped: ${r.message}`);
  return 1;
}

function gatewaySummary(g: GatewayBackend): string {
  const s = g.stats;
  return `gateway (127.0.0.1:${g.hostPort}): ${s.connectionsOpened} connections, ${s.bytesFromClients} bytes in, ${s.bytesToClients} bytes out, ` +
    `${s.datagramsToGuest} datagrams to the guest, ${s.datagramsFromGuest} back, ${s.windowStalls} window stalls\n`;
}
