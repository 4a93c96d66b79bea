import { nodeActionCommand } from '../../src/commands/node-action.ts';

export default nodeActionCommand(
  'drain',
  'Cordon a node and move its workloads off, with a preview (after approval)',
);
