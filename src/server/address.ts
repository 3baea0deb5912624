import { isIP } from 'node:net';

/** A listen address split into what `server.listen` takes. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (all interfaces). Port 0 asks the OS for a free port.
 * Returns the parts or throws an Error that quotes the input. Pure.
 */
export function parseListenAddress(address: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(address);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535) {
    throw new Error(`invalid listen address "${address}": want HOST:PORT, [IPv6]:PORT or :PORT`);
  }
  const bracketed = m[1];
  if (bracketed !== undefined && isIP(bracketed) !== 6) {
    throw new Error(`invalid listen address "${address}": "${bracketed}" is not an IPv6 address`);
  }
  return { host: bracketed ?? (m[2] || '0.0.0.0'), port };
}

/** `scheme://host:port` for a bound address, with IPv6 hosts in brackets. Pure. */
export function formatUrl(scheme: 'http' | 'https', host: string, port: number): string {
  return `${scheme}://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}
