import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  AppsV1Api,
  type ConfigurationOptions,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  Observable,
  type ObservableMiddleware,
  type PatchStrategy,
  type RequestContext,
  type ResponseContext,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { BotError } from '../../core/errors.ts';
import { abortedError, throwIfAborted } from '../errors.ts';
import type { CallOptions } from '../port.ts';
import { type ErrorContext, isApiStatus, type Permission, timeoutError, toBotError } from './errors.ts';
import type { KubernetesAdapterOptions } from './options.ts';

/** Named on every write, so managedFields (and audit logs) show which changes the bot made. */
export const FIELD_MANAGER = 'incident-bot';

function kubeconfigError(message: string, hint: string, cause?: unknown): BotError {
  return new BotError('bot.node.kubeconfig', message, { hint, cause });
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

/**
 * The KubeConfig for one adapter: a prebuilt one (tests), the configured file, or client-node's
 * own search ($KUBECONFIG, ~/.kube/config, the in-cluster service account). client-node's last
 * resort is an unauthenticated http://localhost:8080, which is never what someone meant: refuse it.
 */
export function loadKubeConfig(options: KubernetesAdapterOptions, given?: KubeConfig): KubeConfig {
  let kc = given;
  if (!kc) {
    kc = new KubeConfig();
    try {
      if (options.kubeconfig) {
        kc.loadFromFile(expandHome(options.kubeconfig));
      } else if (process.env.KUBECONFIG || existsSync(join(homedir(), '.kube', 'config'))) {
        kc.loadFromDefault();
      } else if (process.env.KUBERNETES_SERVICE_HOST) {
        kc.loadFromCluster();
      } else {
        throw kubeconfigError(
          `Adapter ${options.name}: no kubeconfig found ($KUBECONFIG unset, no ~/.kube/config) and not running inside a cluster.`,
          'Set `kubeconfig:` for this adapter in the config file, or run the bot in the cluster with a service account.',
        );
      }
    } catch (err) {
      if (err instanceof BotError) throw err;
      throw kubeconfigError(
        `Adapter ${options.name}: cannot load the kubeconfig${options.kubeconfig ? ` ${options.kubeconfig}` : ''}: ${err instanceof Error ? err.message : String(err)}`,
        'Check the path and that the file is a valid kubeconfig (`kubectl config view` reads the same file).',
        err,
      );
    }
  }
  if (options.context) {
    if (!kc.getContextObject(options.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw kubeconfigError(
        `Adapter ${options.name}: the kubeconfig has no context named ${options.context}.`,
        known.length ? `Contexts in it: ${known.join(', ')}.` : 'It has no contexts at all.',
      );
    }
    kc.setCurrentContext(options.context);
  }
  if (!kc.getCurrentCluster()) {
    throw kubeconfigError(
      `Adapter ${options.name}: the kubeconfig's current context names no cluster.`,
      'Set `context:` for this adapter, or fix current-context in the kubeconfig.',
    );
  }
  return kc;
}

/** client-node 1.x has no per-call AbortSignal parameter: a middleware puts it on the request. */
function signalMiddleware(signal: AbortSignal): ObservableMiddleware {
  return {
    pre: (ctx: RequestContext) => {
      ctx.setSignal(signal);
      return new Observable(Promise.resolve(ctx));
    },
    post: (res: ResponseContext) => new Observable(Promise.resolve(res)),
  };
}

export interface RequestSpec {
  /** "Cordon of gpu-node-1": the one line a person reads if it fails. */
  readonly what: string;
  /** The RBAC rule the call needs, named in the error if the API answers 403. */
  readonly permission: Permission;
  /** 404 is the caller's to interpret (unknown node, unknown workload, already gone). */
  readonly notFound?: () => BotError;
  /** PATCH bodies: client-node 1.x defaults to JSON Patch, which a merge-style body is not. */
  readonly patch?: PatchStrategy;
}

/**
 * The API clients of one adapter and the one way every call goes out: with the caller's
 * AbortSignal, a deadline (cleared in `finally`), and failures turned into coded BotErrors.
 */
export class KubeClient {
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly custom: CustomObjectsApi;
  readonly server: string;

  constructor(
    kc: KubeConfig,
    private readonly adapter: string,
    private readonly timeoutMs: number,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.server = kc.getCurrentCluster()?.server ?? '?';
  }

  context(what: string, permission: Permission): ErrorContext {
    return { what, adapter: this.adapter, server: this.server, permission };
  }

  async request<T>(
    spec: RequestSpec,
    opts: CallOptions | undefined,
    send: (options: ConfigurationOptions) => Promise<T>,
  ): Promise<T> {
    const caller = opts?.signal;
    throwIfAborted(caller, spec.what);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    const onAbort = () => controller.abort();
    caller?.addEventListener('abort', onAbort, { once: true });
    try {
      const base: ConfigurationOptions = {
        middleware: [signalMiddleware(controller.signal)],
        middlewareMergeStrategy: 'append',
      };
      return await send(spec.patch ? setHeaderOptions('Content-Type', spec.patch, base) : base);
    } catch (err) {
      if (caller?.aborted) throw abortedError(spec.what);
      if (timedOut) throw timeoutError(this.context(spec.what, spec.permission), this.timeoutMs / 1000);
      if (spec.notFound && isApiStatus(err, 404)) throw spec.notFound();
      throw toBotError(err, this.context(spec.what, spec.permission));
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onAbort);
    }
  }
}
