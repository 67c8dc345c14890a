// A minimal client of the DevTools protocol for a node started with --inspect=127.0.0.1:<port>, so that a
// benchmark can ask the server under test for a full garbage collection and its heap without the server
// having any endpoint for it. Node 20 has no WebSocket global without a flag and the bench declares no
// WebSocket package, so this speaks just enough of RFC 6455 over node:http: one text message per call,
// client frames masked, no extensions, no compression.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';

const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Builds one masked, final frame of `opcode` (1 text, 8 close, 10 pong) carrying `payload`. */
function frame(opcode, payload) {
  const length = payload.length;
  const header = length < 126 ? Buffer.alloc(2) : length < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  header[0] = 0x80 | opcode;
  if (length < 126) header[1] = 0x80 | length;
  else if (length < 65536) {
    header[1] = 0x80 | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  const mask = randomBytes(4);
  const masked = Buffer.alloc(length);
  for (let index = 0; index < length; index += 1) masked[index] = payload[index] ^ mask[index % 4];
  return Buffer.concat([header, mask, masked]);
}

/** The WebSocket URL of the first target the inspector on `port` lists. */
async function debuggerUrl(port) {
  const response = await fetch(`http://127.0.0.1:${port}/json/list`);
  const [target] = await response.json();
  if (!target?.webSocketDebuggerUrl) throw new Error(`no inspector target on port ${port}`);
  return new URL(target.webSocketDebuggerUrl);
}

/**
 * Connects to the inspector on `port`. `call(method, params)` resolves with the command's result;
 * `close()` ends the session (a node waits at exit for an attached debugger, so close before stopping it).
 */
export async function connectInspector(port) {
  const url = await debuggerUrl(port);
  const key = randomBytes(16).toString('base64');
  const socket = await new Promise((resolve, reject) => {
    const request = http.get({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': key,
      },
    });
    request.once('upgrade', (response, upgraded, head) => {
      const expected = createHash('sha1')
        .update(key + WEBSOCKET_GUID)
        .digest('base64');
      if (response.headers['sec-websocket-accept'] !== expected)
        reject(new Error('inspector refused the upgrade'));
      if (head.length > 0) upgraded.unshift(head);
      resolve(upgraded);
    });
    request.once('response', (response) => reject(new Error(`inspector answered ${response.statusCode}`)));
    request.once('error', reject);
  });

  const pending = new Map();
  let nextId = 1;
  let buffered = Buffer.alloc(0);
  let fragments = [];
  const failAll = (error) => {
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  };
  const onMessage = (text) => {
    const message = JSON.parse(text);
    const waiter = pending.get(message.id);
    if (!waiter) return; // an event: no domain is enabled, so none is expected
    pending.delete(message.id);
    if (message.error) waiter.reject(new Error(`${waiter.method}: ${message.error.message}`));
    else waiter.resolve(message.result);
  };
  socket.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    // Server frames are unmasked: 2 header bytes, then a 16- or 64-bit length if the short one says so.
    while (buffered.length >= 2) {
      const final = (buffered[0] & 0x80) !== 0;
      const opcode = buffered[0] & 0x0f;
      let length = buffered[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buffered.length < 4) return;
        length = buffered.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (buffered.length < 10) return;
        length = Number(buffered.readBigUInt64BE(2));
        offset = 10;
      }
      if (buffered.length < offset + length) return;
      const payload = buffered.subarray(offset, offset + length);
      buffered = buffered.subarray(offset + length);
      if (opcode === 9) socket.write(frame(10, payload));
      else if (opcode === 8) socket.end();
      else if (opcode === 1 || opcode === 0) {
        fragments.push(Buffer.from(payload));
        if (final) {
          const text = Buffer.concat(fragments).toString('utf8');
          fragments = [];
          onMessage(text);
        }
      }
    }
  });
  socket.on('close', () => failAll(new Error('inspector connection closed')));
  socket.on('error', (error) => failAll(error));

  return {
    call(method, params = {}) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject, method });
        socket.write(frame(1, Buffer.from(JSON.stringify({ id, method, params }))));
      });
    },
    async close() {
      if (socket.destroyed) return;
      socket.write(frame(8, Buffer.alloc(0)));
      socket.end();
      await new Promise((resolve) => {
        socket.once('close', resolve);
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 1000).unref();
      });
    },
  };
}
