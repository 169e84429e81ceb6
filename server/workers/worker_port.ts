/**
 * The worker's side of its port: `post` to the main thread, and an inbox that hands every
 * message received so far to one handler call in a macrotask of its own.
 *
 * Why the inbox: the port delivers every queued message before the event loop moves on, and
 * keeps going while new ones arrive; doing the DSP inside the message handler let a busy main
 * thread starve the model rounds and the result flushes (seen at 500 streams: results 20 s
 * late). So the handler only queues, and one macrotask works through everything queued.
 */
import type { MessagePort } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './messages.js';

export class WorkerPort {
  private inbox: ToWorker[] = [];

  constructor(private readonly port: MessagePort) {}

  post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
    this.port.postMessage(message, transfer);
  }

  /** Calls `handle` with the messages received since its last call, in order. */
  receive(handle: (messages: ToWorker[]) => void): void {
    const drain = (): void => {
      const messages = this.inbox;
      this.inbox = [];
      handle(messages);
    };
    this.port.on('message', (message: ToWorker) => {
      if (this.inbox.length === 0) setImmediate(drain);
      this.inbox.push(message);
    });
  }
}
