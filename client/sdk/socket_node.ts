/** SocketFactory over the `ws` package (Node only; never imported by the browser bundle). */
import { WebSocket } from 'ws';
import { READY_STATE_OPEN, type SocketFactory } from './socket.js';

export const nodeSocketFactory: SocketFactory = (url, options, handlers) => {
  const ws = new WebSocket(url, options.token ? { headers: { authorization: `Bearer ${options.token}` } } : {});
  let closed = false;
  ws.on('open', () => handlers.onOpen());
  ws.on('message', (data, isBinary) => {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? Buffer.from(data) : data;
    if (isBinary) {
      handlers.onMessage(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    } else {
      handlers.onMessage(bytes.toString('utf8'));
    }
  });
  ws.on('error', (err) => handlers.onError(err.message));
  // An HTTP refusal of the upgrade surfaces as error "Unexpected server response: 401" + close.
  ws.on('close', (code, reason) => {
    if (closed) return;
    closed = true;
    handlers.onClose(code, reason.toString('utf8'));
  });
  return {
    send: (data) => ws.send(data),
    close: (code, reason) => ws.close(code, reason),
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    get isOpen() {
      return ws.readyState === READY_STATE_OPEN;
    },
  };
};
