import { request } from 'node:http';
import { expect } from 'chai';
import { createApp } from '../../src/app.js';
import { StaticStore } from '../../src/cluster/static.js';
import { loadConfig } from '../../src/config/config.js';
import { isJsonContentType } from '../../src/extender/handler.js';
import { createLogger } from '../../src/observability/logger.js';
import { makeNode, makePod } from '../support/builders.js';
import { type Running, serveApp } from '../support/http.js';

/** POSTs `chunks` without a Content-Length (chunked transfer encoding), as a client streaming its body would. */
function postChunked(
  url: string,
  chunks: readonly string[],
  type = 'application/json',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': type } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe('extender verbs over HTTP: reading the body', () => {
  const store = new StaticStore();
  store.add(makeNode('a1').zone('zone-a').obj());
  const config = loadConfig();
  const logger = createLogger('silent');
  let server: Running;
  let small: Running;
  before(async () => {
    server = await serveApp(createApp({ store, config, logger }));
    small = await serveApp(createApp({ store, config: { ...config, bodyLimit: 1024 }, logger }));
  });
  after(async () => {
    await server.close();
    await small.close();
  });

  const body = JSON.stringify({ Pod: makePod('db/p').obj(), Nodes: null, NodeNames: ['a1'] });
  const halves = [body.slice(0, 10), body.slice(10)];
  const cases: {
    name: string;
    url: () => string;
    chunks: readonly string[];
    type?: string;
    want: { status: number; has: string };
  }[] = [
    {
      name: 'a chunked body without Content-Length is read whole',
      url: () => `${server.url}/filter`,
      chunks: halves,
      want: { status: 200, has: '"NodeNames":["a1"]' },
    },
    {
      name: 'a query string does not change the verb',
      url: () => `${server.url}/prioritize?x=1`,
      chunks: [body],
      want: { status: 200, has: '"Host":"a1"' },
    },
    {
      name: 'application/json with parameters is JSON',
      url: () => `${server.url}/filter`,
      chunks: [body],
      type: 'Application/JSON; charset=utf-8',
      want: { status: 200, has: '"NodeNames":["a1"]' },
    },
    {
      name: 'a chunked body over the limit is 413 as soon as it passes it',
      url: () => `${small.url}/filter`,
      chunks: [body, ' '.repeat(2048)],
      want: { status: 413, has: 'bodyLimit (1024 bytes)' },
    },
    {
      name: 'a JSON-like content type is not JSON',
      url: () => `${server.url}/filter`,
      chunks: [body],
      type: 'application/json-seq',
      want: { status: 415, has: 'application/json' },
    },
  ];
  for (const tc of cases) {
    it(tc.name, async () => {
      const res = await postChunked(tc.url(), tc.chunks, tc.type);
      expect({ status: res.status, has: res.body.includes(tc.want.has) }).to.deep.equal({
        status: tc.want.status,
        has: true,
      });
    });
  }

  it('recognises JSON content types like kube-scheduler sends them and nothing else', () => {
    const got = [
      'application/json',
      'application/json; charset=utf-8',
      ' APPLICATION/JSON ',
      'text/plain',
      'application/jsonx',
      undefined,
    ].map(isJsonContentType);
    expect(got).to.deep.equal([true, true, true, false, false, false]);
  });
});
