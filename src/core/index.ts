// The pure domain: no I/O, no platform, no store. Everything takes plain data and a Clock.
export * from './action.ts';
export * from './channel-name.ts';
export * from './clock.ts';
export * from './duration.ts';
export * from './errors.ts';
export * from './incident.ts';
export * from './issues.ts';
export * from './lifecycle.ts';
export * from './limits.ts';
export * from './policy.ts';
export * from './redact.ts';
export * from './roles.ts';
export * from './severity.ts';
export * from './status.ts';
export * from './suggest.ts';
export * from './text.ts';
export * from './timeline.ts';
