// Small helpers shared by the node:test files.
import { opStats } from '../bindings-node/index.mjs';

export const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `check()` is true (polling), failing after `ms`. */
export async function until(check, ms = 2000) {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) throw new Error(`condition not met within ${ms} ms: ${check}`);
    await delay(2);
  }
}

/** A host task that waits `ms` (or until its signal fires) and counts itself. */
export function hostCounter() {
  const c = { started: 0, inFlight: 0, peak: 0, aborted: 0 };
  c.task =
    (ms, value) =>
    ({ signal }) =>
      new Promise((resolve, reject) => {
        c.started++;
        c.inFlight++;
        c.peak = Math.max(c.peak, c.inFlight);
        const timer = setTimeout(() => {
          c.inFlight--;
          resolve(value);
        }, ms);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            c.inFlight--;
            c.aborted++;
            reject(signal.reason);
          },
          { once: true },
        );
      });
  return c;
}

export const running = () => opStats().running;
