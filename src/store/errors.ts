/**
 * Whether a database error is one a later attempt can get past: the connection to PostgreSQL was
 * lost or refused, the server is shutting down or full, a transaction lost a serialisation race or
 * a deadlock, or SQLite's file was busy. Work that meets one (an outbox delivery) is tried again;
 * any other database error is a bug and is not.
 */
export function isTransientStoreError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    // PostgreSQL SQLSTATEs (Appendix A): 08 connection exceptions, 57P01-57P03 shutdown and
    // startup, 53300 too many connections, 40001 serialization failure, 40P01 deadlock.
    if (code.startsWith('08') || ['57P01', '57P02', '57P03', '53300', '40001', '40P01'].includes(code))
      return true;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code.startsWith('SQLITE_BUSY_')) return true;
  }
  // node-postgres reports a connection that dropped or never came up in words, without a code.
  return (
    typeof message === 'string' &&
    /^(Connection terminated( unexpectedly)?|Client has encountered a connection error|timeout exceeded when trying to connect)/.test(
      message,
    )
  );
}
