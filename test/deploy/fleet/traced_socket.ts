/**
 * The SDK's Node socket (client/sdk/socket_node.ts) plus one thing the fleet test needs:
 * which replica the balancer chose, read from the `X-SER-Replica` header HAProxy adds to
 * the upgrade response (deploy/haproxy/haproxy.cfg).
 */
import { WebSocket } from 'ws';
import { READY_STATE_OPEN, type SocketFactory } from '../../../client/sdk/socket.js';

export function tracedSocketFactory(onReplica: (replica: string) => void): SocketFactory {
  return (url, options, handlers) => {
    const ws = new WebSocket(url, options.token ? { headers: { authorization: `Bearer ${options.token}` } } : {});
    let closed = false;
    ws.on('upgrade', (response) => onReplica(String(response.headers['x-ser-replica'] ?? 'unknown')));
    ws.on('open', () => handlers.onOpen());
    ws.on('message', (data, isBinary) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? Buffer.from(data) : data;
      if (isBinary) handlers.onMessage(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
      else handlers.onMessage(bytes.toString('utf8'));
    });
    ws.on('error', (err) => handlers.onError(err.message));
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
}
