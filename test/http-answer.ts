/**
 * One HTTP(S) request's answer as status and text, for tests and benchmarks
 * that need node:http's options (an agent holding one socket, a private CA)
 * which fetch does not take.
 */
import type { ClientRequest } from 'node:http';

/** Send `req` with `body` and collect its answer. */
export function textAnswer(req: ClientRequest, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
