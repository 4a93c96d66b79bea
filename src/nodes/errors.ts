import { BotError } from '../core/errors.ts';
import { graphemeHead } from '../core/text.ts';
import type { NodeCapability } from './port.ts';

/**
 * The node-layer errors, built in one place so every adapter and the registry answer the same way:
 * a person who mistypes a node name gets the same line and the same way out whichever adapter owns
 * the fleet.
 */

/** Where a person finds the names the bot knows; every "unknown node" answer points there. */
export const NODE_LIST_HINT = 'See the nodes the bot knows with `/node list`.';

export function unknownNodeError(node: string): BotError {
  return new BotError('bot.node.unknown', `No node named ${node}.`, { hint: NODE_LIST_HINT });
}

export function invalidNodeNameError(node: string): BotError {
  // The raw text may be hostile (it was about to reach a shell on some adapters): quote it as JSON.
  return new BotError(
    'bot.node.invalid_name',
    `${JSON.stringify(graphemeHead(node, 80))} is not a valid node name.`,
    {
      hint: `Node names are letters, digits, dots, dashes and underscores. ${NODE_LIST_HINT}`,
    },
  );
}

export function unknownWorkloadError(workloadId: string): BotError {
  return new BotError('bot.workload.unknown', `No workload with id ${workloadId}.`, {
    hint: 'Workload ids look like `<node>/<name>`; list them with `/workload list --node <node>`.',
  });
}

export function invalidLogTailError(tail: number, max: number): BotError {
  return new BotError(
    'bot.workload.invalid_tail',
    `${JSON.stringify(graphemeHead(String(tail), 40))} is not a number of log lines the bot reads.`,
    { hint: `Ask for a whole number of lines from 1 to ${max}.` },
  );
}

export function invalidPortError(port: number): BotError {
  return new BotError(
    'bot.node.invalid_port',
    `${JSON.stringify(graphemeHead(String(port), 40))} is not a TCP port.`,
    { hint: 'A port is a whole number from 1 to 65535 (NCCL listens on 29500).' },
  );
}

/** Throws unless `port` is a whole number from 1 to 65535, so only digits can reach a command line. */
export function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw invalidPortError(port);
}

/** What each capability lets the bot do, in words for "adapter X cannot …". */
const CAPABILITY_WORDS: Record<NodeCapability, string> = {
  list: 'list its nodes',
  health: 'report node health',
  diagnose: 'run diagnostics',
  workloads: 'list workloads',
  cordon: 'cordon nodes',
  uncordon: 'uncordon nodes',
  drain: 'drain nodes',
  restart: 'restart workloads',
  stop: 'stop workloads',
  logs: 'read workload logs',
  collect: 'collect a diagnostic bundle',
};

export function unsupportedError(node: string, adapter: string, capability: NodeCapability): BotError {
  return new BotError(
    'bot.node.unsupported',
    `Node ${node} is managed by adapter ${adapter}, which cannot ${CAPABILITY_WORDS[capability]}.`,
    { hint: `Do it outside the bot, or configure an adapter with the ${capability} capability for ${node}.` },
  );
}

export function abortedError(what: string): BotError {
  return new BotError('bot.node.aborted', `${what} was cancelled before it finished.`, {
    hint: 'Nothing further ran; try again when ready.',
  });
}

/** Throws when the caller has already given up, so no work (and no mutation) starts. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw abortedError(what);
}

/** Resolves after `ms`, or rejects with bot.node.aborted the moment `signal` fires; the timer never outlives it. */
export function abortableSleep(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  throwIfAborted(signal, what);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError(what));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
