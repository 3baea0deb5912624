import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { Client } from '../../bench/client.js';
import { createEchoServer } from '../../bench/echo.js';

const wire = (name: string): Buffer =>
  readFileSync(new URL(`../../../../shared/fixtures/wire/${name}`, import.meta.url));

describe('echo baseline', () => {
  const server = createEchoServer();
  let client: Client;
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = new Client(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  after(async () => {
    client.close();
    await new Promise((resolve) => server.close(resolve));
  });

  const names = ['node-a1', 'node-b1', 'node-a2', 'node-b2'];
  const nodes = (JSON.parse(wire('filter-nocache-clone-1.json').toString('utf8')) as { Nodes: unknown }).Nodes;
  const cases = [
    {
      name: 'filter in NodeNames mode passes every name',
      path: '/filter',
      body: 'filter-cache-clone-1.json',
      want: { NodeNames: names, FailedNodes: {}, Error: '' },
    },
    {
      name: 'filter in Nodes mode passes the NodeList as parsed',
      path: '/filter',
      body: 'filter-nocache-clone-1.json',
      want: { Nodes: nodes, FailedNodes: {}, Error: '' },
    },
    {
      name: 'prioritize in NodeNames mode scores every name 0',
      path: '/prioritize',
      body: 'prioritize-cache-restore-1.json',
      want: names.map((Host) => ({ Host, Score: 0 })),
    },
    {
      name: 'prioritize in Nodes mode scores every node 0',
      path: '/prioritize',
      body: 'prioritize-nocache-restore-1.json',
      want: names.map((Host) => ({ Host, Score: 0 })),
    },
  ];
  for (const tc of cases) {
    it(tc.name, async () => {
      const reply = await client.post(tc.path, wire(tc.body), true);
      expect({ status: reply.status, body: JSON.parse(reply.body?.toString('utf8') ?? '') }).to.deep.equal({
        status: 200,
        body: tc.want,
      });
    });
  }

  it('answers a truncated body with 400', async () => {
    const body = wire('filter-nocache-clone-1.json');
    const reply = await client.post('/filter', body.subarray(0, body.length - 10), false);
    expect(reply.status).to.equal(400);
  });
});
