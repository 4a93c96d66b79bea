/**
 * The fake fleet in its own process, so a benchmark can measure the adapter's memory alone and the
 * fleet's CPU does not share the adapter's event loop (real nodes are other machines).
 *
 *   node --import tsx test/fakes/ssh/serve.ts <count> <delayMs>
 *
 * Prints one JSON line `{ nodes, user, clientPrivateKey, knownHosts }`, then answers each stdin line
 * `stats` with `{ execs, max }` and `reset` with `{}`; exits when stdin closes.
 */
import { createInterface } from 'node:readline';
import { startSshFleet } from './fleet.ts';

const count = Number(process.argv[2] ?? 100);
const delayMs = Number(process.argv[3] ?? 100);
const fleet = await startSshFleet({ count, delayMs });
process.stdout.write(
  `${JSON.stringify({ nodes: fleet.nodes, user: fleet.user, clientPrivateKey: fleet.clientKey.privateKey, knownHosts: fleet.knownHosts })}\n`,
);
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line === 'stats') {
    process.stdout.write(`${JSON.stringify({ execs: fleet.commands.length, max: fleet.inFlight().max })}\n`);
  } else if (line === 'reset') {
    fleet.commands.length = 0;
    fleet.resetStats();
    process.stdout.write('{}\n');
  }
});
lines.on('close', () => {
  void fleet.close().then(() => process.exit(0));
});
