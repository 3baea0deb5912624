import { expect } from 'chai';
import { formatUrl, parseListenAddress } from '../../src/server/address.js';

describe('listen addresses', () => {
  interface Case {
    readonly name: string;
    readonly input: string;
    readonly want: { host: string; port: number } | RegExp;
  }
  const cases: Case[] = [
    { name: 'IPv4 host and port', input: '127.0.0.1:8888', want: { host: '127.0.0.1', port: 8888 } },
    { name: 'all interfaces', input: '0.0.0.0:8443', want: { host: '0.0.0.0', port: 8443 } },
    { name: 'empty host means all interfaces', input: ':8080', want: { host: '0.0.0.0', port: 8080 } },
    { name: 'host name', input: 'localhost:8888', want: { host: 'localhost', port: 8888 } },
    { name: 'bracketed IPv6', input: '[::1]:8443', want: { host: '::1', port: 8443 } },
    { name: 'port 0 asks for a free port', input: '127.0.0.1:0', want: { host: '127.0.0.1', port: 0 } },
    { name: 'missing port', input: '127.0.0.1', want: /invalid listen address "127\.0\.0\.1"/ },
    { name: 'port out of range', input: '127.0.0.1:65536', want: /invalid listen address/ },
    { name: 'unbracketed IPv6', input: '::1:8443', want: /invalid listen address/ },
    { name: 'bracketed non-IPv6', input: '[localhost]:8443', want: /"localhost" is not an IPv6 address/ },
    { name: 'URL instead of address', input: 'http://127.0.0.1:8888', want: /invalid listen address/ },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      if (tc.want instanceof RegExp) expect(() => parseListenAddress(tc.input)).to.throw(tc.want);
      else expect(parseListenAddress(tc.input)).to.deep.equal(tc.want);
    });
  }

  it('formats URLs with IPv6 hosts in brackets', () => {
    expect([formatUrl('https', '::1', 8443), formatUrl('http', '127.0.0.1', 80)]).to.deep.equal([
      'https://[::1]:8443',
      'http://127.0.0.1:80',
    ]);
  });
});
