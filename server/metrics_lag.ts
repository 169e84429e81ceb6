/**
 * Event-loop lag probe: a timer that re-arms itself and reports how late it fired. A blocked
 * loop shows up as a late timer, whatever blocked it. Returns the function that stops it.
 */
export function startLagProbe(periodMs: number, observeSeconds: (lagSeconds: number) => void): () => void {
  let due = performance.now() + periodMs;
  let timer: NodeJS.Timeout;
  const probe = (): void => {
    const now = performance.now();
    observeSeconds(Math.max(0, now - due) / 1000);
    due = now + periodMs;
    timer = setTimeout(probe, periodMs);
    timer.unref();
  };
  timer = setTimeout(probe, periodMs);
  timer.unref();
  return () => clearTimeout(timer);
}
