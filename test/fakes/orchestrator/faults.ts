/** What the fake can be told to do instead of (or before) answering a request. */
export type Fault =
  /** Answer with this status (and body, JSON `{"error": …}` by default). */
  | { readonly kind: 'status'; readonly status: number; readonly body?: string }
  /** Wait, then answer normally. */
  | { readonly kind: 'delay'; readonly ms: number }
  /** 200 with a body that is not JSON. */
  | { readonly kind: 'malformed' }
  /** 200 with JSON of the wrong shape. */
  | { readonly kind: 'wrong-shape' }
  /** 200 with `bytes` of body; `declared` sends Content-Length, else it streams chunked. */
  | { readonly kind: 'oversize'; readonly bytes: number; readonly declared?: boolean }
  /** Drop the connection without answering. */
  | { readonly kind: 'reset' }
  /** Never answer (until the fake closes). */
  | { readonly kind: 'hang' }
  /** 302 to another address. */
  | { readonly kind: 'redirect'; readonly location: string };

export interface FaultRule {
  readonly method?: string;
  /** An exact pathname, or a pattern tested against the raw request URL. */
  readonly path: string | RegExp;
  readonly fault: Fault;
  /** How many requests it applies to (default: all). */
  readonly times?: number;
}

export class Faults {
  private rules: { rule: FaultRule; left: number }[] = [];

  add(rule: FaultRule): void {
    this.rules.push({ rule, left: rule.times ?? Number.POSITIVE_INFINITY });
  }

  clear(): void {
    this.rules = [];
  }

  /** The fault for this request, counting it against its rule. */
  take(method: string, url: string, pathname: string): Fault | undefined {
    const hit = this.rules.find(
      ({ rule, left }) =>
        left > 0 &&
        (rule.method === undefined || rule.method === method) &&
        (typeof rule.path === 'string' ? rule.path === pathname : rule.path.test(url)),
    );
    if (!hit) return undefined;
    hit.left--;
    return hit.rule.fault;
  }
}
