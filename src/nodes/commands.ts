import { GPU_HEALTH_FIELDS, REMAPPED_ROWS_FIELDS } from './parse/gpu-health.ts';
import type { DiagnosticId } from './port.ts';

/**
 * The allow-listed shell command behind each diagnostic: what the SSH adapter runs and what the
 * simulated adapter reports having run. No placeholders: nothing from chat ever reaches these.
 */

/** Fields of the GPU query, in the order `parseNvidiaSmiCsv` expects them. */
export const NVIDIA_SMI_FIELDS = [
  'index',
  'name',
  'temperature.gpu',
  'utilization.gpu',
  'memory.used',
  'memory.total',
  'ecc.errors.uncorrected.volatile.total',
] as const;

/** The port NCCL's rendezvous (torchrun's c10d store) listens on by default. */
export const NCCL_PORT = 29500;

export const DIAGNOSTIC_COMMANDS: Readonly<Record<DiagnosticId, string>> = {
  uptime: 'uptime',
  memory: 'free -h',
  gpu: `nvidia-smi --query-gpu=${NVIDIA_SMI_FIELDS.join(',')} --format=csv,noheader`,
  // Separate queries: nvidia-smi refuses a whole query over one field its driver lacks, so a
  // driver without row remapping (before Ampere) or throttle reasons loses that reading alone.
  'gpu-health': `nvidia-smi --query-gpu=${GPU_HEALTH_FIELDS.join(',')} --format=csv,noheader`,
  'gpu-remap': `nvidia-smi --query-remapped-rows=${REMAPPED_ROWS_FIELDS.join(',')} --format=csv,noheader`,
  nvlink: 'nvidia-smi nvlink --status',
  xid: "dmesg | grep -i 'xid\\|nvrm' | tail -20",
  // The kill line itself reads "Out of memory: Killed process", which a bare grep for 'oom' misses.
  oom: "dmesg | grep -iE 'oom|out of memory' | tail -10",
  containers: "docker ps -a --format '{{.Names}} {{.Status}}' | head -20",
  // `.Name` carries a leading slash in docker inspect; `slice` drops it so names match docker ps.
  'container-restarts':
    "docker ps -aq | xargs -r docker inspect --format '{{slice .Name 1}} {{.RestartCount}} restarts, last exit: {{.State.ExitCode}}'",
  // grep exits 1 when nothing listens: that is the answer, not a failure.
  'nccl-port': `ss -tuln | grep ${NCCL_PORT}`,
};
