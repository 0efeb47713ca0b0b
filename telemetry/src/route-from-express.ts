import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, type Span } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import { ExpressLayerType } from '@opentelemetry/instrumentation-express';

type RoutedRequest = IncomingMessage & { route?: { path?: unknown }; baseUrl?: string };

/**
 * http.route without instrumentation-express, whose patching of Express's router and wrapping of every layer
 * cost CPU on each request (docs/performance.md): the http instrumentation's responseHook.
 *
 * When the response closes, the http instrumentation reads the route from the request's RPC metadata to name the
 * server span (`GET /list-products`) and to label http.server.request.duration. Express has matched the route by
 * the time the response finishes, which comes just before: copy it from `req.route` then. A route set by
 * instrumentation-express, where a user enables it, is left as it is.
 */
export function routeFromExpress(_span: Span, response: IncomingMessage | ServerResponse): void {
  // Called for the server's response and for a client's response alike: only the first has writeHead.
  if (!('writeHead' in response)) return;
  const rpc = getRPCMetadata(context.active());
  if (rpc?.type !== RPCType.HTTP) return;
  response.once('finish', () => {
    const { route, baseUrl = '' } = response.req as RoutedRequest;
    if (rpc.route === undefined && typeof route?.path === 'string') rpc.route = baseUrl + route.path;
  });
}

/**
 * instrumentation-express, where a user enables it (OTEL_NODE_ENABLED_INSTRUMENTATIONS): no layer spans at all.
 * Middleware, router and request handler spans add volume and CPU, not insight (docs/performance.md).
 */
export const expressWithoutLayerSpans = {
  ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER, ExpressLayerType.REQUEST_HANDLER],
};
