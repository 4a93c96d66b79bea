import { workloadActionCommand } from '../../src/commands/workload-action.ts';

export default workloadActionCommand('restart', 'Restart a workload (after approval)');
