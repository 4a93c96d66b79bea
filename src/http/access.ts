import type { IncomingHttpHeaders } from 'node:http';

/**
 * Headers a reverse proxy adds for the client it forwards. Behind a proxy on the same machine
 * every caller's address is loopback, so a request carrying one of these came from wherever the
 * proxy took it, and "only this machine can reach it" no longer holds.
 */
export const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'] as const;

/** The first proxy header the request carries, or undefined. */
export function proxyHeader(headers: IncomingHttpHeaders): string | undefined {
  return PROXY_HEADERS.find((name) => headers[name] !== undefined);
}

/** How a proxied request is named in a refusal: `X-Forwarded-For`. */
export function headerTitle(name: string): string {
  return name === 'x-real-ip'
    ? 'X-Real-IP'
    : name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}
