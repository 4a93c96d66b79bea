import { nodeActionCommand } from '../../src/commands/node-action.ts';

export default nodeActionCommand('uncordon', 'Let a cordoned node take new work again (after approval)');
