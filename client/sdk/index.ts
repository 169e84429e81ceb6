/**
 * The SDK, isomorphic entry (browsers; any runtime with a global WebSocket). In Node
 * import `client/sdk/node.ts` instead: the same API with `ws` as the default socket.
 */
export { EmotionStreamClient, type EmotionStreamClientOptions, type StreamConfig } from './client.js';
export {
  ClientStateError,
  ConnectionError,
  EmotionServerError,
  isEmotionStreamError,
  type ConnectionErrorCode,
  type EmotionStreamError,
} from './errors.js';
export type {
  ClientState,
  EmotionResult,
  ReconnectedEvent,
  ReconnectingEvent,
  StreamEvent,
} from './events.js';
export { DEFAULT_RECONNECT, type ReconnectOptions } from './reconnect.js';
export { durationMsOf, frameBytesOf, fromFloat32, fromWav, type AudioSource } from './audio_source.js';
export { streamAudio, type Pace, type StreamAudioOptions } from './stream_audio.js';
export type { Socket, SocketFactory, SocketHandlers } from './socket.js';
export { browserSocketFactory } from './socket_browser.js';
export { listSessions, watch, watchIterable, type WatchOptions } from './watch.js';
export type { ChannelState, SessionInfo, WatchMessage } from '../../shared/watch.js';
