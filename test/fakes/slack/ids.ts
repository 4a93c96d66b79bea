import { randomBytes, randomUUID } from 'node:crypto';

/**
 * Identifier and timestamp factories for one fake workspace. Slack ids are upper-case letters
 * and digits behind a type prefix (C channel, U user, S user group, V view, F file, Ev event).
 */
export class IdFactory {
  private seq = 0;
  private lastTsMicros = 0;

  next(prefix: string): string {
    this.seq += 1;
    return `${prefix}0${this.seq.toString(36).toUpperCase().padStart(7, '0')}`;
  }

  /**
   * A message timestamp, `<unix seconds>.<6 digits>`. Slack's ts is a message's id within its
   * channel; here it is unique across the workspace and strictly increasing, so order by ts works.
   */
  ts(): string {
    const micros = Math.max(this.lastTsMicros + 1, Date.now() * 1000);
    this.lastTsMicros = micros;
    return formatTs(micros);
  }

  eventId(): string {
    return `Ev${randomBytes(5).toString('hex').toUpperCase()}`;
  }

  envelopeId(): string {
    return randomUUID();
  }

  /** Shaped like Slack's: `<digits>.<digits>.<hex>`. */
  triggerId(): string {
    this.seq += 1;
    return `${Date.now()}${this.seq}.${Math.floor(Math.random() * 1e10)}.${randomBytes(16).toString('hex')}`;
  }

  ticket(): string {
    return randomBytes(12).toString('hex');
  }
}

export function formatTs(micros: number): string {
  const seconds = Math.floor(micros / 1_000_000);
  return `${seconds}.${String(micros % 1_000_000).padStart(6, '0')}`;
}

/** A Slack ts as milliseconds since the epoch. */
export function tsToMillis(ts: string): number {
  return Math.floor(Number(ts) * 1000);
}
