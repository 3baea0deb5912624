/**
 * Entry point of the echo baseline's child process: `node dist/bench/echo-server.js --listen HOST:PORT`.
 * Logs one JSON line `{"msg":"listening","url":…}` when ready, like `source-affinity serve`.
 */
import { createEchoServer } from './echo.js';

const at = process.argv.indexOf('--listen');
const listen = at >= 0 ? (process.argv[at + 1] ?? '') : '127.0.0.1:0';
const colon = listen.lastIndexOf(':');
const host = listen.slice(0, colon);
const port = Number(listen.slice(colon + 1));
const server = createEchoServer();
server.listen(port, host, () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('unexpected server address');
  process.stdout.write(`${JSON.stringify({ msg: 'listening', url: `http://${address.address}:${address.port}` })}\n`);
});
