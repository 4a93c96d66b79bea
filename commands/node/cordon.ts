import { nodeActionCommand } from '../../src/commands/node-action.ts';

export default nodeActionCommand('cordon', 'Stop scheduling new work on a node (after approval)');
