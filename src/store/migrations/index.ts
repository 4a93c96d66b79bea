import type { Migration, MigrationProvider } from 'kysely';
import { initial } from './0001-initial.ts';
import { sandbox } from './0002-sandbox.ts';
import { alerts } from './0003-alerts.ts';
import { timersAndPostmortems } from './0004-timers-postmortems.ts';
import { alertClaims } from './0005-alert-claims.ts';
import { outbox } from './0006-outbox.ts';
import { actionRunner } from './0007-action-runner.ts';
import { actionSeverity } from './0008-action-severity.ts';
import { dropAlertStatusIndex } from './0009-drop-alert-status-index.ts';
import { simulatedFleet } from './0010-simulated-fleet.ts';
import { trackedMessages } from './0011-tracked-messages.ts';
import { hardwareEvents } from './0012-hardware-events.ts';
import { nodeBundles } from './0013-node-bundles.ts';
import { hardwareFindings } from './0014-hardware-findings.ts';
import { gpuCounts } from './0015-gpu-counts.ts';
import type { MigrationFactory, SqlDialect } from './types.ts';

export type { MigrationFactory, SqlDialect } from './types.ts';

/**
 * Every migration, by name. Kysely runs them in name order and refuses a database that ran one this
 * list no longer has, so: add new ones at the end with the next number, never rename or edit one
 * that has shipped.
 */
const FACTORIES: Readonly<Record<string, MigrationFactory>> = {
  '0001-initial': initial,
  '0002-sandbox': sandbox,
  '0003-alerts': alerts,
  '0004-timers-postmortems': timersAndPostmortems,
  '0005-alert-claims': alertClaims,
  '0006-outbox': outbox,
  '0007-action-runner': actionRunner,
  '0008-action-severity': actionSeverity,
  '0009-drop-alert-status-index': dropAlertStatusIndex,
  '0010-simulated-fleet': simulatedFleet,
  '0011-tracked-messages': trackedMessages,
  '0012-hardware-events': hardwareEvents,
  '0013-node-bundles': nodeBundles,
  '0014-hardware-findings': hardwareFindings,
  '0015-gpu-counts': gpuCounts,
};

/** The migrations built for one dialect, in the shape Kysely's `Migrator` expects. */
export function migrations(dialect: SqlDialect): Record<string, Migration> {
  return Object.fromEntries(Object.entries(FACTORIES).map(([name, factory]) => [name, factory(dialect)]));
}

/** Migrations compiled into the program: no folder to scan, so a bundled build still finds them. */
export class InCodeMigrationProvider implements MigrationProvider {
  readonly #dialect: SqlDialect;
  constructor(dialect: SqlDialect) {
    this.#dialect = dialect;
  }
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations(this.#dialect);
  }
}
