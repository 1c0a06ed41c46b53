/**
 * The process the crash test kills: the database (placement argv[2]) on the host file argv[3],
 * loading argv[4] records; each acknowledged SET is reported on stdout as "ack N" the moment the
 * reply reaches the client, before anything else happens in the VMM.
 */
import { writeSync } from 'node:fs';
import { FileBackend } from '../../devices/virtio/blk/file-backend.js';
import { runPoint } from '../../middleware/experiment/point.js';
import { loadProfile } from '../../vmm/profile.js';

const [placement, path, records] = [process.argv[2] as 'guest' | 'vamos', process.argv[3]!, Number(process.argv[4])];
const volume = new FileBackend(path, false);
writeSync(1, 'ready\n');
runPoint({
  placement, iommu: 'off', profile: loadProfile('nehalem-2011'), poolPages: 16, volume,
  workload: { mix: 'C', distribution: 'uniform', records, operations: 0, concurrency: 4, seed: 1 },
  onLoadAck: (r) => { writeSync(1, `ack ${r}\n`); },
});
writeSync(1, 'finished\n');
