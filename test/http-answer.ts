/**
 * One HTTP(S) request's answer as status, headers and text, for tests and
 * benchmarks that need node:http's options (an agent holding one socket, a
 * private CA, exact request headers, a body written in chunks) which fetch
 * does not take.
 */
import type { ClientRequest, IncomingHttpHeaders } from 'node:http';

/** Send `req` (ending it with `body`, after whatever was written already) and collect its answer. */
export function textAnswer(req: ClientRequest, body?: string): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
