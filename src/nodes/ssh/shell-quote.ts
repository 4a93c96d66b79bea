/**
 * POSIX single-quoting: inside '…' a shell interprets nothing, so the only character to handle is
 * the quote itself, written as '\'' (close, escaped quote, reopen). Every value is quoted, even
 * one that looks safe, so there is one rule to reason about.
 */
export function shellQuote(value: string): string {
  // A NUL ends a C string: the remote shell would see a different argument from the one we checked.
  if (value.includes('\0')) throw new Error('a NUL byte cannot be passed to a shell');
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** `sudo -n` fails instead of prompting; `sh -c` so the whole pipeline, not its first word, runs as root. */
export function withSudo(command: string): string {
  return `sudo -n sh -c ${shellQuote(command)}`;
}
