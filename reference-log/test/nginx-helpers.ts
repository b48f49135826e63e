/**
 * Debian's nginx serving a static tiles export: a foreground master process
 * with its own prefix (config, temp paths, logs) in a temp directory, on a
 * pre-chosen 127.0.0.1 port. The config is the one docs/tiles.md shows.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../scripts/ports.mjs';

/** Path of the nginx binary (scripts/install-system-deps.sh installs it). */
export const NGINX = '/usr/sbin/nginx';

/** The server block of docs/tiles.md, for an export in `root`. */
export function tilesServerBlock(root: string, port: number): string {
  return `
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location = /checkpoint {
      default_type "text/plain; charset=utf-8";
      add_header Cache-Control "public, max-age=2" always;
    }
    location ~ ^/tile/.*\\.p/[0-9]+$ {
      default_type application/octet-stream;
      add_header Cache-Control "public, max-age=60" always;
      gzip on;
      gzip_types application/octet-stream;
      gzip_min_length 0;
      gzip_vary on;
    }
    location /tile/ {
      default_type application/octet-stream;
      add_header Cache-Control "public, max-age=31536000, immutable" always;
      gzip on;
      gzip_types application/octet-stream;
      gzip_min_length 0;
      gzip_vary on;
    }
  }`;
}

/** A running nginx. */
export interface NginxProcess {
  /** Base URL, ending in `/`. */
  url: string;
  /** Stop it (SIGQUIT: graceful) and wait for exit. */
  stop(): Promise<void>;
}

/** Start nginx serving `root` from a prefix in `workDir`. */
export async function startNginx(root: string, workDir: string): Promise<NginxProcess> {
  const port = await freePort();
  mkdirSync(join(workDir, 'logs'), { recursive: true });
  const conf = join(workDir, 'nginx.conf');
  const temp = (n: string) => `${n}_temp_path ${join(workDir, n)};`;
  writeFileSync(
    conf,
    `worker_processes 1;
pid ${join(workDir, 'nginx.pid')};
error_log ${join(workDir, 'logs/error.log')} warn;
events { worker_connections 256; }
http {
  access_log off;
  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}
  sendfile on;
  ${tilesServerBlock(root, port)}
}
`,
  );
  const proc: ChildProcess = spawn(NGINX, ['-p', workDir, '-c', conf, '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((res) => proc.on('exit', () => res()));
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`nginx exited: ${out}`);
    try {
      await fetch(url + 'checkpoint');
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`nginx did not answer: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGQUIT');
      await exited;
    },
  };
}
