import type { Action, Incident } from '../core/index.ts';
import type { Store } from '../store/port.ts';

/**
 * Told about a change inside the transaction that commits it, so what it writes (the reminders'
 * timers) commits or rolls back with the change and no crash falls between the two. Implemented
 * by ReminderService; the services that change incidents and actions get it at construction.
 */
export interface IncidentListener {
  declared(tx: Store, incident: Incident): Promise<void>;
  severityChanged(tx: Store, incident: Incident): Promise<void>;
  statusChanged(tx: Store, incident: Incident): Promise<void>;
  commanderAssigned(tx: Store, incident: Incident): Promise<void>;
  actionApproved(tx: Store, incident: Incident, action: Action): Promise<void>;
}
