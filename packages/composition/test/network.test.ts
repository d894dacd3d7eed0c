// The network device on both targets: listening, connecting, and TLS on connections (implicit,
// and started mid-stream as STARTTLS does), with a self-signed certificate made for the test.
import assert from 'node:assert/strict';
import { createServer as createHttpServer, request } from 'node:http';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { before, describe, test } from 'node:test';
import selfsigned from 'selfsigned';
import { encryptConnections, isSecure, memoryDevices, nodeDevices, type Connection, type Network } from '../src/index.js';

let pair: { cert: string; key: string };
let otherCert: string;

before(async () => {
  const make = () => selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec', algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
  });
  const pems = await make();
  pair = { cert: pems.cert, key: pems.private };
  otherCert = (await make()).cert;
});

/** The next chunk a stream gives, as text. */
const nextText = (stream: Duplex) => new Promise<string>((resolve, reject) => {
  stream.once('data', (d: Buffer) => resolve(d.toString('utf8')));
  stream.once('error', reject);
});

/** Accepted connections, as they come. */
function acceptor() {
  const queue: Connection[] = [];
  let waiting: ((c: Connection) => void) | undefined;
  return {
    accept: (c: Connection) => { if (waiting) { waiting(c); waiting = undefined; } else queue.push(c); },
    next: () => new Promise<Connection>((resolve) => { const c = queue.shift(); if (c) resolve(c); else waiting = resolve; }),
  };
}

const targets: { name: string; make(): { network: Network; advance?(ms: number): void } }[] = [
  { name: 'node', make: () => ({ network: nodeDevices().network }) },
  { name: 'memory', make: () => { const d = memoryDevices(); return { network: d.network, advance: (ms) => d.clock.advance(ms) }; } },
];

for (const target of targets) {
  describe(`${target.name} target`, () => {
    test('connect reaches a listener; bytes go both ways', async () => {
      const { network } = target.make();
      const server = acceptor();
      const listener = await network.listen(0, '127.0.0.1', server.accept);
      try {
        const client = await network.connect(listener.port, '127.0.0.1');
        const accepted = await server.next();
        assert.equal(accepted.remoteAddress, '127.0.0.1');
        client.write('ping');
        assert.equal(await nextText(accepted), 'ping');
        accepted.write('pong');
        assert.equal(await nextText(client), 'pong');
        client.destroy();
        accepted.destroy();
      } finally {
        await listener.close();
      }
    });

    test('connect to a port nobody listens on fails, naming host and port', async () => {
      const { network } = target.make();
      const listener = await network.listen(0, '127.0.0.1', () => {});
      const port = listener.port;
      await listener.close();
      await assert.rejects(network.connect(port, '127.0.0.1'), (e: Error) => e.message.startsWith(`cannot connect to 127.0.0.1:${port}: `) && /ECONNREFUSED/.test(e.message));
    });

    test('implicit TLS: the client checks the certificate; the server side keeps the client address and says encrypted', async () => {
      const { network } = target.make();
      const tls = network.serverTls(pair);
      const server = acceptor();
      const listener = await network.listen(0, '127.0.0.1', (c) => server.accept(tls.secure(c)));
      try {
        const client = await network.connect(listener.port, 'localhost', { tls: { ca: pair.cert } });
        assert.ok(isSecure(client));
        const accepted = await server.next();
        assert.ok(isSecure(accepted));
        assert.equal(accepted.remoteAddress, '127.0.0.1');
        client.write('secret');
        assert.equal(await nextText(accepted), 'secret');
        accepted.write('reply');
        assert.equal(await nextText(client), 'reply');
        client.destroy();
      } finally {
        await listener.close();
      }
    });

    test('a certificate the client does not trust fails the connect, naming host and port', async () => {
      const { network } = target.make();
      const tls = network.serverTls(pair);
      const accepted: Connection[] = [];
      const listener = await network.listen(0, '127.0.0.1', (c) => {
        const s = tls.secure(c);
        s.on('error', () => {}); // the client hangs up mid-handshake
        accepted.push(s);
      });
      try {
        await assert.rejects(network.connect(listener.port, 'localhost', { tls: { ca: otherCert } }), (e: Error) => e.message.startsWith(`TLS with localhost:${listener.port} failed: `));
      } finally {
        for (const s of accepted) s.destroy();
        await listener.close();
      }
    });

    test('STARTTLS: plain text first, then TLS on the same connection', async () => {
      const { network } = target.make();
      const tls = network.serverTls(pair);
      const server = acceptor();
      const listener = await network.listen(0, '127.0.0.1', server.accept);
      try {
        const plain = await network.connect(listener.port, '127.0.0.1');
        const accepted = await server.next();
        plain.write('STARTTLS\r\n');
        assert.equal(await nextText(accepted), 'STARTTLS\r\n');
        accepted.write('OK begin\r\n');
        assert.equal(await nextText(plain), 'OK begin\r\n');
        const secureServer = tls.secure(accepted);
        const secureClient = tlsConnect({ socket: plain, ca: pair.cert, servername: 'localhost' });
        await new Promise<void>((resolve, reject) => { secureClient.once('secureConnect', resolve); secureClient.once('error', reject); });
        assert.equal(secureServer.remoteAddress, '127.0.0.1');
        secureClient.write('LOGIN');
        assert.equal(await nextText(secureServer), 'LOGIN');
        secureClient.destroy();
      } finally {
        await listener.close();
      }
    });

    test('encryptConnections turns an http server into an https one, whoever hands it the connection', async () => {
      const { network } = target.make();
      const web = createHttpServer((req, res) => res.end(`encrypted=${(req.socket as { encrypted?: boolean }).encrypted} from=${req.socket.remoteAddress}`));
      encryptConnections(web, network.serverTls(pair));
      const listener = await network.listen(0, '127.0.0.1', web);
      try {
        const connection = await network.connect(listener.port, 'localhost', { tls: { ca: pair.cert } });
        const body = await new Promise<string>((resolve, reject) => {
          const req = request({ host: 'localhost', port: listener.port, path: '/', createConnection: () => connection as never, headers: { Connection: 'close' } }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => { text += d; });
            res.on('end', () => resolve(text));
          });
          req.on('error', reject);
          req.end();
        });
        assert.equal(body, 'encrypted=true from=127.0.0.1');
      } finally {
        web.closeAllConnections();
        await listener.close();
      }
    });

    test('a certificate and key that are not a pair are refused when the TLS is made', () => {
      const { network } = target.make();
      assert.throws(() => network.serverTls({ cert: pair.cert, key: 'not a key' }), /^Error: the TLS certificate and key are not a PEM certificate and its key: /);
    });
  });
}

test('memory target: an idle timeout set on a TLS connection runs on the fake clock', async () => {
  const devices = memoryDevices();
  const tls = devices.network.serverTls(pair);
  const server = acceptor();
  await devices.network.listen(993, '127.0.0.1', (c) => server.accept(tls.secure(c)));
  const client = await devices.network.connect(993, 'localhost', { tls: { ca: pair.cert } });
  const accepted = await server.next();
  let timedOut = 0;
  (accepted as Connection & { setTimeout(ms: number, f: () => void): unknown }).setTimeout(60_000, () => timedOut++);
  devices.clock.advance(59_000);
  assert.equal(timedOut, 0);
  devices.clock.advance(1_000);
  assert.equal(timedOut, 1);
  client.destroy();
});

test('memory target: dial plays a client on another machine, and TLS keeps its address', async () => {
  const devices = memoryDevices();
  const tls = devices.network.serverTls(pair);
  const server = acceptor();
  await devices.network.listen(993, '127.0.0.1', (c) => server.accept(tls.secure(c)));
  const client = tlsConnect({ socket: devices.network.dial(993, '192.0.2.7'), ca: pair.cert, servername: 'localhost' });
  const accepted = await server.next();
  assert.equal(accepted.remoteAddress, '192.0.2.7');
  await new Promise<void>((resolve) => client.once('secureConnect', resolve));
  client.destroy();
});

test('memory target: a TLS connection ends cleanly from either side, its goodbye after the pipe closed dropped', async () => {
  const devices = memoryDevices();
  const tls = devices.network.serverTls(pair);
  for (const closer of ['client', 'server'] as const) {
    const server = acceptor();
    const listener = await devices.network.listen(0, '127.0.0.1', (c) => server.accept(tls.secure(c)));
    const client = await devices.network.connect(listener.port, 'localhost', { tls: { ca: pair.cert } });
    const accepted = await server.next();
    const errors: Error[] = [];
    for (const c of [client, accepted]) c.on('error', (e: Error) => errors.push(e));
    const closed = Promise.all([client, accepted].map((c) => new Promise((resolve) => c.once('close', resolve))));
    (closer === 'client' ? client : accepted).end();
    for (const c of [client, accepted]) c.resume();
    await closed;
    assert.deepEqual(errors, [], `${closer} ending`);
    await listener.close();
  }
});
