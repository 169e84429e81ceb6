/**
 * An Observable as an async iterator (RxJS 7 has none built in). Subscribes at once, so
 * nothing emitted after the call is missed; buffers values the consumer has not pulled
 * yet; rethrows the Observable's error from `next()`; unsubscribes on `return()` (break).
 */
import type { Observable } from 'rxjs';

export function toAsyncIterator<T>(source: Observable<T>): AsyncIterableIterator<T> {
  const buffered: T[] = [];
  let done = false;
  let failure: { error: unknown } | null = null;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  const subscription = source.subscribe({
    next: (value) => {
      buffered.push(value);
      notify();
    },
    error: (error: unknown) => {
      failure = { error };
      done = true;
      notify();
    },
    complete: () => {
      done = true;
      notify();
    },
  });

  const iterator: AsyncIterableIterator<T> = {
    async next(): Promise<IteratorResult<T>> {
      for (;;) {
        if (buffered.length > 0) return { value: buffered.shift() as T, done: false };
        if (failure) throw failure.error;
        if (done) return { value: undefined, done: true };
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    async return(): Promise<IteratorResult<T>> {
      subscription.unsubscribe();
      done = true;
      buffered.length = 0;
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
