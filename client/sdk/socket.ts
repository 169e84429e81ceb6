/**
 * The SDK's view of a WebSocket: a factory plus four callbacks. Two adapters implement
 * it — `socket_browser.ts` over the global WebSocket and `socket_node.ts` over `ws` — so
 * the client itself is isomorphic and the browser bundle never pulls in `ws`.
 */

export interface SocketHandlers {
  onOpen(): void;
  /** Text frames arrive as strings; binary frames as ArrayBuffer (protocol v1 sends none). */
  onMessage(data: string | ArrayBuffer): void;
  /** Called exactly once, also after a failed connection attempt (code 1006). */
  onClose(code: number, reason: string): void;
  /** Transport error; `onClose` follows. */
  onError(message: string): void;
}

export interface Socket {
  send(data: string | ArrayBuffer | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
  /** Bytes queued by `send` but not yet written to the network. */
  readonly bufferedAmount: number;
  /** True between open and the start of the closing handshake. */
  readonly isOpen: boolean;
}

export interface SocketOptions {
  /**
   * API key, if any. Adapters that can set headers send `Authorization: Bearer <token>`;
   * browsers cannot, so theirs adds `?token=` to the URL. The server accepts both.
   */
  token?: string;
}

export type SocketFactory = (url: string, options: SocketOptions, handlers: SocketHandlers) => Socket;

/** WebSocket readyState OPEN, the same in the DOM and in `ws`. */
export const READY_STATE_OPEN = 1;
