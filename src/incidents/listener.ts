import type { Action, Incident } from '../core/index.ts';
import type { Tx } from '../store/port.ts';

/**
 * Told about a change inside the transaction that commits it, so what it writes (the reminders'
 * timers) commits or rolls back with the change and no crash falls between the two. Implemented
 * by ReminderSchedule; the services that change incidents and actions get it at construction.
 */
export interface IncidentListener {
  declared(tx: Tx, incident: Incident): Promise<void>;
  severityChanged(tx: Tx, incident: Incident): Promise<void>;
  statusChanged(tx: Tx, incident: Incident): Promise<void>;
  commanderAssigned(tx: Tx, incident: Incident): Promise<void>;
  actionApproved(tx: Tx, incident: Incident, action: Action): Promise<void>;
}
