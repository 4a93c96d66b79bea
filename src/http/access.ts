import type { IncomingHttpHeaders } from 'node:http';
import { isLoopback } from '../config.ts';

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

/** HOST values that listen on every address of the machine. */
export function isWildcard(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === '0.0.0.0' || h === '::' || h === '0:0:0:0:0:0:0:0';
}

/** Which Host headers name this bot. A browser sends the name it resolved, so this stops DNS rebinding. */
export interface HostPolicy {
  /** Any Host: a wildcard HOST without PUBLIC_URL, where tokens are required anyway. */
  readonly any: boolean;
  /** Names (lowercase, no port, IPv6 without brackets) accepted besides the loopback ones. */
  readonly names: ReadonlySet<string>;
  /** PUBLIC_URL's origin (`https://bot.example.com`): its host is accepted, and it as an Origin. */
  readonly publicOrigin: string | undefined;
}

/**
 * The configured HOST, the loopback names (any port) and PUBLIC_URL's host. A wildcard HOST means
 * every address of this machine (`localAddresses`): IP literals cannot be rebound by DNS.
 */
export function hostPolicy(options: {
  readonly host: string;
  readonly publicUrl?: string | undefined;
  readonly localAddresses?: readonly string[];
}): HostPolicy {
  const wildcard = isWildcard(options.host);
  const names = new Set<string>();
  if (!wildcard) names.add(bare(options.host));
  else for (const a of options.localAddresses ?? []) names.add(bare(a));
  const publicOrigin = options.publicUrl ? new URL(options.publicUrl).origin : undefined;
  if (publicOrigin) names.add(bare(new URL(publicOrigin).hostname));
  return { any: wildcard && !publicOrigin, names, publicOrigin };
}

function bare(host: string): string {
  return host
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
}

// A Host header is a name or an IP literal with an optional port; anything else (`a@b`, paths,
// spaces) is refused rather than normalised into something it does not say.
const HOST_HEADER = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;

/** The name of a Host header (lowercase, no port, no brackets), or undefined when it is malformed. */
export function hostHeaderName(header: string): string | undefined {
  const m = HOST_HEADER.exec(header);
  return m ? bare(m[1]!) : undefined;
}

/** Whether a request's Host header names this bot. No Host at all (HTTP/1.0) is not a browser's. */
export function hostAllowed(policy: HostPolicy, header: string | undefined): boolean {
  if (header === undefined || policy.any) return true;
  const name = hostHeaderName(header);
  return name !== undefined && (isLoopback(name) || policy.names.has(name));
}

/**
 * Why a state-changing request looks like it came from another site's page, or undefined. A page
 * on another port of localhost is `same-site`, not same-origin, and is refused too; an Origin must
 * be the page's own (the Host it was sent to) or PUBLIC_URL's.
 */
export function crossSite(policy: HostPolicy, headers: IncomingHttpHeaders): string | undefined {
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `Sec-Fetch-Site: ${site}`;
  const origin = headers.origin;
  if (origin === undefined) return undefined;
  if (policy.publicOrigin && origin.toLowerCase() === policy.publicOrigin) return undefined;
  if (sameOrigin(origin, headers.host)) return undefined;
  return `Origin: ${origin.slice(0, 100)}`;
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined || hostHeaderName(host) === undefined) return false;
  try {
    const page = new URL(origin);
    if (page.protocol !== 'http:' && page.protocol !== 'https:') return false;
    // Both normalised the same way (case, default port), so `http://localhost:80` matches `localhost`.
    return page.host === new URL(`${page.protocol}//${host}`).host;
  } catch {
    // `null` (a sandboxed frame, a file) or junk: not the bot's page.
    return false;
  }
}

/**
 * Whether the browser reached the bot over TLS: PUBLIC_URL is https, or the proxy in front says so.
 * Trusting a header here only ever makes the cookie stricter (Secure), never looser.
 */
export function overTls(policy: HostPolicy, headers: IncomingHttpHeaders): boolean {
  if (policy.publicOrigin?.startsWith('https:')) return true;
  const proto = headers['x-forwarded-proto'];
  if (typeof proto === 'string' && proto.split(',')[0]?.trim().toLowerCase() === 'https') return true;
  const forwarded = headers.forwarded;
  return typeof forwarded === 'string' && /(?:^|[;,\s])proto="?https"?(?:$|[;,\s])/i.test(forwarded);
}
