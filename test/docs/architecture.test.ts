import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const ARCHITECTURE = readFileSync(join(ROOT, 'docs/ARCHITECTURE.md'), 'utf8');

const files = (dir: string) =>
  readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => ({ name: f, lines: readFileSync(join(ROOT, dir, f), 'utf8').split('\n').length }));

describe('docs/ARCHITECTURE.md is the map', () => {
  it('names every file of src/incidents/, so a new one is placed on the map', () => {
    const unnamed = files('src/incidents')
      .map((f) => f.name)
      .filter((name) => !ARCHITECTURE.includes(`\`${name}\``));
    expect(unnamed, 'add them to the table under "Inside src/incidents/"').toEqual([]);
  });

  it('keeps the use-case and delivery files at one job each (none past 400 lines)', () => {
    const long = [...files('src/incidents'), ...files('src/delivery')].filter((f) => f.lines > 400);
    expect(long, 'split the file by responsibility, as the map says').toEqual([]);
  });
});
