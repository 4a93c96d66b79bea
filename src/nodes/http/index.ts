// A REST control plane with a node registry (orchestratord's /v2/nodes and the like) behind the
// NodeAdapter port: list, health, pool diagnostics, drain or deregistration, pool restart/stop.
export {
  type ControlPlaneHealth,
  createHttpAdapter,
  type HttpAdapterDeps,
  type HttpNodeAdapter,
} from './adapter.ts';
export { DIAGNOSTIC_UNAVAILABLE } from './diagnostics.ts';
export {
  type Endpoint,
  HTTP_METHODS,
  type HttpAdapterInput,
  type HttpAdapterOptions,
  type HttpMethod,
  type HttpPaths,
  httpAdapterOptions,
  httpPathsSchema,
} from './options.ts';
export { encodeSegment, expandPath, PLACEHOLDERS, type Placeholder } from './paths.ts';
