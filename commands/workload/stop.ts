import { workloadActionCommand } from '../../src/commands/workload-action.ts';

export default workloadActionCommand('stop', 'Stop a workload (after approval)');
