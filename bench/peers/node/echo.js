#!/usr/bin/env node
// Node.js `net` echo server: every connection is piped back into itself.
//
// Why it is a fair peer: this is the canonical Node TCP echo (socket.pipe(socket)) on libuv's epoll loop,
// single-threaded like the C peer. pipe() gives backpressure for free (reading pauses while the socket's
// write buffer is over its high-water mark). noDelay and a 4096 backlog match the other peers; Node itself
// raises the open-files limit to the hard limit at startup. No cluster module: one process, one core.
//
// --tls-cert FILE --tls-key FILE (PEM): the same pipe behind Node's `tls` server (tls.createServer, Node's default
// protocol versions and cipher suites, its default session tickets), as a Node TLS service is written.
//
// Usage: node echo.js [--host 127.0.0.1] [--port 65432] [--tls-cert FILE --tls-key FILE]
// Prints "Listening on HOST:PORT" once the server accepts connections; SIGTERM or Ctrl-C exits 0.
'use strict';

const fs = require('fs');
const net = require('net');
const tls = require('tls');

let host = '127.0.0.1';
let port = 65432;
let tlsCert = null;
let tlsKey = null;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--host' && i + 1 < args.length) host = args[++i];
  else if (args[i] === '--port' && i + 1 < args.length) port = Number(args[++i]);
  else if (args[i] === '--tls-cert' && i + 1 < args.length) tlsCert = args[++i];
  else if (args[i] === '--tls-key' && i + 1 < args.length) tlsKey = args[++i];
  else {
    process.stderr.write('usage: node echo.js [--host 127.0.0.1] [--port 65432] [--tls-cert FILE --tls-key FILE]\n');
    process.exit(2);
  }
}
if ((tlsCert === null) !== (tlsKey === null)) {
  process.stderr.write('--tls-cert and --tls-key go together\n');
  process.exit(2);
}

const echo = (socket) => {
  socket.pipe(socket);
  // A reset by the client is the end of that connection, not of the server.
  socket.on('error', () => socket.destroy());
};
const server = tlsCert === null
  ? net.createServer({ noDelay: true }, echo)
  : tls.createServer({ noDelay: true, cert: fs.readFileSync(tlsCert), key: fs.readFileSync(tlsKey) }, echo);

server.on('error', (err) => {
  process.stderr.write(`error: ${err.message}\n`);
  process.exit(1);
});

server.listen({ host, port, backlog: 4096 }, () => {
  process.stdout.write(`Listening on ${host}:${port}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close();
    process.exit(0);
  });
}
