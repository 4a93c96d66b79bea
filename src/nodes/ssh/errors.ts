import { BotError } from '../../core/errors.ts';
import { graphemeHead } from '../../core/text.ts';

/**
 * The SSH adapter's coded errors. Transport failures are `bot.node.unreachable` / `bot.node.timeout`
 * (the port's two), a refused host key is `bot.node.host_key`: each names the node and says what to
 * do, because the person reading it is mid-incident.
 */

export interface Endpoint {
  readonly node: string;
  readonly host: string;
  readonly port: number;
}

const where = (e: Endpoint) => `${e.node} (${e.host}:${e.port})`;
const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;

export function unknownHostKeyError(e: Endpoint, presented: string): BotError {
  return new BotError(
    'bot.node.host_key',
    `Refusing to connect to ${where(e)}: its host key ${presented} is not pinned, and the bot does not trust on first use.`,
    {
      hint: `Check the fingerprint on the node's console (\`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub\`), then add it to the known_hosts file (\`ssh-keyscan -p ${e.port} ${e.host}\`) or to hostKeys.${e.node} in the config.`,
    },
  );
}

export function hostKeyMismatchError(e: Endpoint, presented: string, pinned: readonly string[]): BotError {
  return new BotError(
    'bot.node.host_key',
    `Refusing to connect to ${where(e)}: it presented host key ${presented}, which does not match the pinned ${pinned.join(', ')}.`,
    {
      hint: `If ${e.node} was reinstalled, confirm the new fingerprint on its console and update the pin; if not, treat this as a possible man-in-the-middle and do not work around it.`,
    },
  );
}

export function revokedHostKeyError(e: Endpoint, presented: string): BotError {
  return new BotError(
    'bot.node.host_key',
    `Refusing to connect to ${where(e)}: its host key ${presented} is marked @revoked in known_hosts.`,
    { hint: `The node needs a new host key before the bot will talk to it; pin the new one once it has it.` },
  );
}

export function connectTimeoutError(e: Endpoint, ms: number): BotError {
  return new BotError(
    'bot.node.timeout',
    `${where(e)} did not complete the SSH handshake within ${seconds(ms)}.`,
    {
      hint: `Check that ${e.node} is up and that sshd answers on port ${e.port}; the other nodes are not held up by it.`,
    },
  );
}

export function commandTimeoutError(node: string, what: string, ms: number): BotError {
  return new BotError(
    'bot.node.timeout',
    `${what} on ${node} did not finish within ${seconds(ms)}; it was cancelled.`,
    {
      hint: `${node} may be hung (a stuck GPU driver or storage often does this); try \`/node status ${node}\`, or raise commandTimeoutMs if the command is just slow.`,
    },
  );
}

export function unreachableError(e: Endpoint, cause: unknown): BotError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new BotError('bot.node.unreachable', `Cannot reach ${where(e)} over SSH: ${reason}.`, {
    hint: `Check that ${e.node} is up and that sshd listens on ${e.host}:${e.port}.`,
    cause,
  });
}

export function authRefusedError(e: Endpoint, user: string): BotError {
  return new BotError('bot.node.unreachable', `${where(e)} refused the bot's SSH key for user ${user}.`, {
    hint: `Add the bot's public key to ~${user}/.ssh/authorized_keys on ${e.node}, or fix user/privateKeyPath in the config.`,
  });
}

export function connectionLostError(node: string, what: string): BotError {
  return new BotError('bot.node.unreachable', `The SSH connection to ${node} dropped during ${what}.`, {
    hint: 'The command may or may not have run; check the node before trying again.',
  });
}

export function invalidWorkloadNameError(name: string): BotError {
  return new BotError(
    'bot.workload.invalid_id',
    `${JSON.stringify(graphemeHead(name, 80))} is not a valid container name.`,
    {
      hint: 'Workload ids look like `<node>/<name>`, the name being letters, digits, dots, dashes and underscores.',
    },
  );
}

export function adapterClosedError(adapter: string): BotError {
  return new BotError('bot.node.closed', `Node adapter ${adapter} has been shut down.`, {
    hint: 'The bot is stopping; try again once it is back.',
  });
}

export function sshConfigError(adapter: string, message: string, hint: string, cause?: unknown): BotError {
  return new BotError('bot.config.ssh', `SSH adapter ${adapter}: ${message}`, { hint, cause });
}
