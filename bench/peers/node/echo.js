#!/usr/bin/env node
// Node.js `net` echo server: every connection is piped back into itself.
//
// Why it is a fair peer: this is the canonical Node TCP echo (socket.pipe(socket)) on libuv's epoll loop,
// single-threaded like the C peer. pipe() gives backpressure for free (reading pauses while the socket's
// write buffer is over its high-water mark). noDelay and a 512 backlog match the other peers; Node itself
// raises the open-files limit to the hard limit at startup. No cluster module: one process, one core.
//
// Usage: node echo.js [--host 127.0.0.1] [--port 65432]
// Prints "Listening on HOST:PORT" once the server accepts connections; SIGTERM or Ctrl-C exits 0.
'use strict';

const net = require('net');

let host = '127.0.0.1';
let port = 65432;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--host' && i + 1 < args.length) host = args[++i];
  else if (args[i] === '--port' && i + 1 < args.length) port = Number(args[++i]);
  else {
    process.stderr.write('usage: node echo.js [--host 127.0.0.1] [--port 65432]\n');
    process.exit(2);
  }
}

const server = net.createServer({ noDelay: true }, (socket) => {
  socket.pipe(socket);
  // A reset by the client is the end of that connection, not of the server.
  socket.on('error', () => socket.destroy());
});

server.on('error', (err) => {
  process.stderr.write(`error: ${err.message}\n`);
  process.exit(1);
});

server.listen({ host, port, backlog: 512 }, () => {
  process.stdout.write(`Listening on ${host}:${port}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close();
    process.exit(0);
  });
}
