/**
 * A real DNS server on 127.0.0.1 (UDP and TCP on the same random port, via
 * dns2) serving test zones, for the rate-limit tests.
 */
import { Socket } from 'node:net';
import DNS from 'dns2';

/** How the server answers one name. */
export type ZoneEntry =
  | { txt: (string | string[])[]; ttl?: number }
  | { rcode: 'servfail' | 'refused' }
  | { silent: true }
  /** Truncated (TC) over UDP, then no answer over TCP. */
  | { truncateThenHang: true };

/** A running test DNS server. */
export interface TestDnsServer {
  /** `127.0.0.1:PORT`, for `createDnsTxtResolver({ server })`. */
  readonly address: string;
  readonly port: number;
  /** Names served; edit freely between requests. Lower-case, no trailing dot. */
  readonly zone: Map<string, ZoneEntry>;
  /** Queries received per (lower-case) name. */
  readonly queries: Map<string, number>;
  close(): Promise<void>;
}

const NEGATIVE_TTL = 30;

/** Start a DNS server; names not in `zone` get NXDOMAIN with an SOA (negative TTL 30 s). */
export async function startTestDnsServer(initial: Record<string, ZoneEntry> = {}): Promise<TestDnsServer> {
  const zone = new Map(Object.entries(initial));
  const queries = new Map<string, number>();
  const handle: DNS.DnsHandler = (request, send, client) => {
      const question = request.questions[0];
      const response = DNS.Packet.createResponseFromRequest(request);
      if (question === undefined) {
        response.header.rcode = 1;
        void send(response);
        return;
      }
      const name = question.name.toLowerCase().replace(/\.$/, '');
      queries.set(name, (queries.get(name) ?? 0) + 1);
      const entry = zone.get(name);
      if (entry === undefined) {
        response.header.rcode = 3;
        response.authorities.push({
          name: name.split('.').slice(-2).join('.'),
          type: DNS.Packet.TYPE.SOA,
          class: DNS.Packet.CLASS.IN,
          ttl: NEGATIVE_TTL,
          primary: 'ns.test',
          admin: 'admin.test',
          serial: 1,
          refresh: 3600,
          retry: 600,
          expiration: 86400,
          minimum: NEGATIVE_TTL,
        } as unknown as DNS.Packet.Resource);
      } else if ('silent' in entry) {
        return; // never answer: the client times out
      } else if ('truncateThenHang' in entry) {
        if (client instanceof Socket) return; // TCP: hold the connection, never answer
        response.header.tc = 1;
      } else if ('rcode' in entry) {
        response.header.rcode = entry.rcode === 'servfail' ? 2 : 5;
      } else if (question.type === DNS.Packet.TYPE.TXT) {
        for (const data of entry.txt) {
          response.answers.push({
            name: question.name,
            type: DNS.Packet.TYPE.TXT,
            class: DNS.Packet.CLASS.IN,
            ttl: entry.ttl ?? 300,
            data,
          } as unknown as DNS.Packet.Resource);
        }
      }
      void send(response);
  };
  // UDP and TCP must share one port: take a free UDP port, then try TCP on it;
  // another process may hold that TCP port, so retry with a new UDP port.
  const sockets = new Set<Socket>();
  let udp: ReturnType<typeof DNS.createUDPServer> | undefined;
  let tcp: ReturnType<typeof DNS.createTCPServer> | undefined;
  let port = 0;
  for (let attempt = 1; tcp === undefined; attempt++) {
    const u = DNS.createUDPServer(handle);
    await u.listen(0, '127.0.0.1');
    port = u.address().port;
    const t = DNS.createTCPServer(handle);
    try {
      await new Promise<void>((resolve, reject) => {
        t.once('error', reject);
        t.listen(port, '127.0.0.1', () => resolve());
      });
      udp = u;
      tcp = t;
    } catch (e) {
      await new Promise<void>((resolve) => u.close(() => resolve()));
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 20) throw e;
    }
  }
  tcp.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const udpServer = udp!;
  const tcpServer = tcp;
  return {
    address: `127.0.0.1:${port}`,
    port,
    zone,
    queries,
    close: async () => {
      await new Promise<void>((resolve) => udpServer.close(() => resolve()));
      for (const socket of sockets) socket.destroy(); // connections held open on purpose
      await new Promise<void>((resolve) => tcpServer.close(() => resolve()));
    },
  };
}
