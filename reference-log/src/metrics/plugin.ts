/**
 * Fastify plugin: records HTTP metrics for every route of the instance it is
 * registered on and (optionally) serves the registry at `/metrics`.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { LogMetrics } from './registry.js';

/** Options of {@link metricsPlugin}. */
export interface MetricsPluginOptions {
  /** The metrics created by `createMetrics`. */
  metrics: LogMetrics;
  /** Serve the registry on this instance (the internal listener). Default true. */
  serve?: boolean;
  /** Path of the exposition route. Default `/metrics`. */
  path?: string;
}

/** Endpoint label of requests that matched no route: one value, so 404 floods cannot grow cardinality. */
export const UNMATCHED_ENDPOINT = 'unmatched';

const START = Symbol('sigsum.metrics.start');
const ENDPOINT = Symbol('sigsum.metrics.endpoint');
const METHOD = Symbol('sigsum.metrics.method');
type Timed = FastifyRequest & { [START]?: number; [ENDPOINT]?: string; [METHOD]?: string };

/**
 * The route pattern (e.g. `/get-leaves/:start/:end`), never the raw URL, so
 * labels stay bounded. Fastify builds a new `routeOptions` object on every
 * read, so each request reads it once.
 */
function endpointOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? UNMATCHED_ENDPOINT;
}

/** Methods outside this set are folded into `other` so a client cannot invent label values. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);
function methodOf(request: FastifyRequest): string {
  return KNOWN_METHODS.has(request.method) ? request.method : 'other';
}

async function plugin(app: FastifyInstance, options: MetricsPluginOptions): Promise<void> {
  const { metrics } = options;
  // Callback-style hooks: cheaper than async ones on every request.
  app.addHook('onRequest', (request, _reply, done) => {
    const timed = request as Timed;
    timed[START] = performance.now();
    const endpoint = (timed[ENDPOINT] = endpointOf(request));
    const method = (timed[METHOD] = methodOf(request));
    metrics.countRequest(endpoint, method);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const timed = request as Timed;
    const start = timed[START];
    // A request that failed before onRequest (e.g. a malformed URL) was never labelled.
    const endpoint = timed[ENDPOINT] ?? endpointOf(request);
    const method = timed[METHOD] ?? methodOf(request);
    metrics.countResponse(endpoint, method, String(reply.statusCode), start === undefined ? undefined : (performance.now() - start) / 1000);
    done();
  });
  if (options.serve ?? true) {
    app.get(options.path ?? '/metrics', async (_request, reply) => {
      const body = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(body);
    });
  }
}

// Break Fastify's encapsulation (what fastify-plugin does) so the hooks see every route of the parent instance.
(plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;

/**
 * Register with `app.register(metricsPlugin, { metrics })` before the routes.
 * On the public listener pass `serve: false` to record HTTP metrics without
 * exposing them there.
 */
export const metricsPlugin: FastifyPluginAsync<MetricsPluginOptions> = plugin;
