/**
 * The front door of the public listener: the two requests a log answers most
 * often, get-tree-head (every client, monitor and witness polls it) and
 * add-leaf (submitters re-send until the answer is 200), answered straight
 * from node:http. Fastify's routing, hooks and reply objects cost more than
 * the answers themselves (docs/benchmarks.md, issue 13 targets 3 and 4).
 *
 * Only the plain cases come here; anything else goes on to Fastify
 * untouched: other paths and methods, a query string, HEAD, no published
 * head yet, an add-leaf body without a content type, without a length, over
 * the limit or chunked. The answers are the ones Fastify would give: the
 * same decisions ({@link addLeafDecider}, {@link errorAnswer}), the same
 * headers, and the same request metrics.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { LogMetrics, RouteMetrics } from '../metrics/registry.js';
import { errorAnswer, TEXT_PLAIN } from './http.js';
import type { FrontDoor } from './limits.js';
import type { AddLeafAnswer, SubmissionRequest } from './add-leaf.js';

/** What the front door serves. */
export interface FrontOptions {
  /** Path of get-tree-head, prefix included. */
  treeHeadPath: string;
  /** The published head's text, made once per publication; undefined before the first (Fastify then answers 503). */
  treeHead: () => Buffer | undefined;
  /** Path of add-leaf, prefix included. */
  addLeafPath: string;
  /** The add-leaf decision (the one the Fastify route uses). */
  addLeaf: (body: string, req: SubmissionRequest) => AddLeafAnswer;
  /** Largest add-leaf body; longer ones go to Fastify, which refuses them (413). */
  bodyLimit: number;
  /** Headers every answer carries besides Fastify's own (CORS for any origin). */
  headers: OutgoingHttpHeaders;
  /** Request metrics, counted as the metrics plugin counts Fastify's requests. */
  metrics?: LogMetrics;
  /** Where our bugs and storage failures are logged. */
  logger: FastifyBaseLogger;
}

/** Build the front door (see the module comment). */
export function frontDoor(opts: FrontOptions): FrontDoor {
  const { treeHeadPath, addLeafPath, metrics, logger, bodyLimit } = opts;
  const textHeaders = { ...opts.headers, 'content-type': TEXT_PLAIN };
  const emptyHeaders = { ...opts.headers, 'content-length': 0 };

  // The head's headers change with its text, once per publication.
  let head: { text: Buffer; headers: OutgoingHttpHeaders } | undefined;
  const headersOf = (text: Buffer | string): OutgoingHttpHeaders => {
    if (typeof text === 'string') return { ...textHeaders, 'content-length': Buffer.byteLength(text) };
    if (head?.text !== text) head = { text, headers: { ...textHeaders, 'content-length': text.length } };
    return head.headers;
  };

  const treeHeadMetrics = metrics?.route(treeHeadPath, 'GET');
  const addLeafMetrics = metrics?.route(addLeafPath, 'POST');

  const answer = (res: ServerResponse, route: RouteMetrics | undefined, start: number, status: number, text: Buffer | string | undefined): void => {
    if (text === undefined) res.writeHead(status, emptyHeaders).end();
    else res.writeHead(status, headersOf(text)).end(text);
    // Measured to the hand-over to the socket, which for answers this small is the whole write.
    route?.response(status, (performance.now() - start) / 1000);
  };

  const submit = (req: IncomingMessage, res: ServerResponse, start: number): void => {
    // Bytes, decoded once at the end: the same text as Fastify's utf8 string
    // parser reads (so a parse error names the same place), without the
    // StringDecoder and the malloc'd buffer `setEncoding` makes per request.
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    // node closes the socket of an aborted request; there is nobody left to answer.
    req.on('error', () => {});
    const fail = (err: unknown): void => {
      const { status, text } = errorAnswer(err, logger, addLeafPath);
      answer(res, addLeafMetrics, start, status, text);
    };
    const succeed = (status: number): void => answer(res, addLeafMetrics, start, status, undefined);
    req.on('end', () => {
      let decision: AddLeafAnswer;
      try {
        const body = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
        decision = opts.addLeaf(body, req);
      } catch (err) {
        fail(err);
        return;
      }
      if (typeof decision === 'number') succeed(decision);
      else decision.then(succeed, fail);
    });
  };

  return (req, res) => {
    const { method, url } = req;
    if (method === 'GET' && url === treeHeadPath) {
      const text = opts.treeHead();
      if (text === undefined) return false;
      const start = performance.now();
      treeHeadMetrics?.request();
      answer(res, treeHeadMetrics, start, 200, text);
      return true;
    }
    if (method === 'POST' && url === addLeafPath) {
      const h = req.headers;
      const length = h['content-length'];
      if (h['content-type'] === undefined || h['transfer-encoding'] !== undefined || length === undefined || !/^[1-9][0-9]{0,5}$/.test(length) || Number(length) > bodyLimit) return false;
      const start = performance.now();
      addLeafMetrics?.request();
      submit(req, res, start);
      return true;
    }
    return false;
  };
}
