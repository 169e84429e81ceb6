/** SocketFactory over the platform's global WebSocket (browsers, Node ≥ 22, Deno, Bun). */
import { READY_STATE_OPEN, type SocketFactory } from './socket.js';
import { withToken } from './wire.js';

export const browserSocketFactory: SocketFactory = (url, options, handlers) => {
  const Ctor = globalThis.WebSocket;
  if (typeof Ctor !== 'function') {
    throw new Error('no global WebSocket in this runtime; in Node import the SDK from client/sdk/node.js');
  }
  const ws = new Ctor(withToken(url, options.token));
  ws.binaryType = 'arraybuffer';
  let closed = false;
  ws.onopen = () => handlers.onOpen();
  ws.onmessage = (ev: MessageEvent<unknown>) => {
    if (typeof ev.data === 'string' || ev.data instanceof ArrayBuffer) handlers.onMessage(ev.data);
  };
  ws.onerror = () => handlers.onError('WebSocket error');
  ws.onclose = (ev: CloseEvent) => {
    if (closed) return;
    closed = true;
    handlers.onClose(ev.code, ev.reason);
  };
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
