/**
 * Bundles the bot into dist/main.mjs (dependencies stay in node_modules) and copies the sandbox
 * page beside it. Running plain JavaScript instead of transpiling at start-up halves idle memory
 * and start-up time; see bench/run.ts.
 */
import { cpSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: { main: 'src/main.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  // Adapters that are loaded with import() (Kubernetes, SSH, …) stay in chunks of their own.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});
// routes.ts finds the page at ./public/ next to the running module.
cpSync('src/chat/sandbox/public', 'dist/public', { recursive: true });
