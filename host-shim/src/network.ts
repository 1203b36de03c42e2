/**
 * The network an inferlet gets through WASI: none unless the user allows it (`--allow-net`), all of it, or
 * connections to listed hosts only — Deno's habit. preview2-shim's WASI opens real sockets and makes real
 * HTTP requests from the user's machine, and an inferlet may be someone else's program. A refusal ends the
 * inferlet with a message naming the call and the option, rather than an `access-denied` error code, which
 * would reach the app without any word of why.
 */
import type { ImportObject } from './host.ts';

/** `false`: no network (the default); `true`: every host; a list: TCP and HTTP to those hosts only. */
export type NetworkAccess = boolean | readonly string[];

/** A host of `--allow-net=…`: a name or an IP address (normalized as a URL's host), with a port or any. */
interface AllowedHost {
  readonly host: string;
  readonly port: number | undefined;
}

/** A WASI socket address (`wasi:sockets/network.ip-socket-address`). */
type SocketAddress =
  | { readonly tag: 'ipv4'; readonly val: { readonly port: number; readonly address: readonly number[] } }
  | { readonly tag: 'ipv6'; readonly val: { readonly port: number; readonly address: readonly number[] } };

/** The host part of an address as a URL writes it: `127.0.0.1`, `[::1]`, `example.com`. */
function urlHost(host: string): string {
  try {
    return new URL(`http://${host}/`).hostname;
  } catch {
    throw new Error(`--allow-net: ${JSON.stringify(host)} is no host name or IP address`);
  }
}

function parseAllowedHost(entry: string): AllowedHost {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry.trim());
  if (match?.[1] === undefined) throw new Error(`--allow-net: ${JSON.stringify(entry)} is no host[:port]`);
  const port = match[2] === undefined ? undefined : Number(match[2]);
  if (port !== undefined && port > 65535)
    throw new Error(`--allow-net: ${entry}: port ${port} is over 65535`);
  return { host: urlHost(match[1]), port };
}

function addressText(address: SocketAddress): { host: string; port: number } {
  const { port } = address.val;
  const host =
    address.tag === 'ipv4'
      ? address.val.address.join('.')
      : urlHost(`[${address.val.address.map((group) => group.toString(16)).join(':')}]`);
  return { host, port };
}

const allows = (allowed: readonly AllowedHost[], host: string, port: number): boolean =>
  allowed.some((entry) => entry.host === host && (entry.port === undefined || entry.port === port));

const flagHint = '--allow-net (every host) or --allow-net=<host>[:<port>],…';

function refusedOff(call: string, what: string): Error {
  return new Error(
    `${call}: ${what} is refused: inferlets get no network unless the user allows it; run with ${flagHint}`,
  );
}

interface OutgoingRequest {
  authority(): string | undefined;
  scheme(): { tag: string; val?: string } | undefined;
}

/** `host:port` of an outgoing HTTP request, its port made explicit from the scheme. */
function requestTarget(request: OutgoingRequest): { host: string; port: number; text: string } {
  const authority = request.authority() ?? '';
  const secure = request.scheme()?.tag === 'HTTPS';
  let url: URL;
  try {
    url = new URL(`${secure ? 'https' : 'http'}://${authority}/`);
  } catch {
    return { host: authority, port: 0, text: JSON.stringify(authority) };
  }
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  return { host: url.hostname, port, text: `${url.hostname}:${port}` };
}

/**
 * For `access` (checked now), what guards one instance's WASI: given preview2-shim's import object, the
 * entries that reach the network, guarded (none to replace for every host).
 */
export function networkGuard(access: NetworkAccess): (wasi: ImportObject) => ImportObject {
  if (access === true) return () => ({});
  if (access === false) return refuseNetwork;
  const allowed = access.map(parseAllowedHost);
  return (wasi) => allowListed(wasi, allowed, `--allow-net=${access.join(',')}`);
}

function refuseNetwork(): ImportObject {
  return {
    // Every socket call takes the network this returns; without it, none can be made.
    'wasi:sockets/instance-network': {
      instanceNetwork() {
        throw refusedOff('wasi:sockets/instance-network.instance-network', 'the network');
      },
    },
    'wasi:http/outgoing-handler': {
      handle(request: OutgoingRequest) {
        throw refusedOff('wasi:http/outgoing-handler.handle', `a request to ${requestTarget(request).text}`);
      },
    },
  };
}

function allowListed(wasi: ImportObject, allowed: readonly AllowedHost[], listed: string): ImportObject {
  const outgoing = wasi['wasi:http/outgoing-handler'] as {
    handle(request: OutgoingRequest, options: unknown): unknown;
  };
  const notListed = (call: string, target: string) =>
    new Error(`${call}: ${target} is not among the hosts the user allowed (${listed})`);
  const needsAll = (call: string, what: string) =>
    new Error(`${call}: ${what} needs --allow-net without a host list (this run has ${listed})`);
  /** Addresses that a name of the list resolved to, with that entry's port: connecting to them is allowed. */
  const resolved: AllowedHost[] = [];

  const lookup = wasi['wasi:sockets/ip-name-lookup'] as {
    resolveAddresses(network: unknown, name: string): { resolveNextAddress(): unknown };
  };
  const tcpCreate = wasi['wasi:sockets/tcp-create-socket'] as { createTcpSocket(family: string): object };
  const udpCreate = wasi['wasi:sockets/udp-create-socket'] as { createUdpSocket(family: string): object };
  return {
    'wasi:sockets/ip-name-lookup': {
      ...lookup,
      resolveAddresses(network: unknown, name: string) {
        const host = urlHost(name);
        const entries = allowed.filter((entry) => entry.host === host);
        if (entries.length === 0)
          throw notListed('wasi:sockets/ip-name-lookup.resolve-addresses', JSON.stringify(name));
        const stream = lookup.resolveAddresses(network, name);
        const next = stream.resolveNextAddress.bind(stream);
        // An own method: jco calls the method of the very object it handed out.
        Object.defineProperty(stream, 'resolveNextAddress', {
          value: () => {
            const address = next() as { tag: 'ipv4' | 'ipv6'; val: number[] } | undefined;
            if (address !== undefined) {
              const { host: ip } = addressText({ tag: address.tag, val: { port: 0, address: address.val } });
              for (const entry of entries) resolved.push({ host: ip, port: entry.port });
            }
            return address;
          },
        });
        return stream;
      },
    },
    'wasi:sockets/tcp-create-socket': {
      createTcpSocket(family: string) {
        const socket = tcpCreate.createTcpSocket(family) as {
          startConnect(network: unknown, address: SocketAddress): void;
        };
        const connect = socket.startConnect.bind(socket);
        Object.defineProperties(socket, {
          startConnect: {
            value: (network: unknown, address: SocketAddress) => {
              const { host, port } = addressText(address);
              if (!allows(allowed, host, port) && !allows(resolved, host, port)) {
                throw notListed('wasi:sockets/tcp.tcp-socket.start-connect', `${host}:${port}`);
              }
              connect(network, address);
            },
          },
          startListen: {
            value: () => {
              throw needsAll('wasi:sockets/tcp.tcp-socket.start-listen', 'listening for connections');
            },
          },
        });
        return socket;
      },
    },
    'wasi:sockets/udp-create-socket': {
      createUdpSocket(family: string) {
        const socket = udpCreate.createUdpSocket(family);
        Object.defineProperty(socket, 'startBind', {
          value: () => {
            throw needsAll('wasi:sockets/udp.udp-socket.start-bind', 'UDP');
          },
        });
        return socket;
      },
    },
    'wasi:http/outgoing-handler': {
      handle(request: OutgoingRequest, options: unknown) {
        const target = requestTarget(request);
        if (!allows(allowed, target.host, target.port))
          throw notListed('wasi:http/outgoing-handler.handle', `a request to ${target.text}`);
        return outgoing.handle(request, options);
      },
    },
  };
}
