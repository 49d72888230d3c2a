/** At most `n` of the calls given to the returned function run at once; the others queue. */
export function limiter(n: number): <T>(work: () => Promise<T>) => Promise<T> {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`A concurrency limit must be a whole number of at least 1, got ${n}.`);
  let running = 0;
  const queue: (() => void)[] = [];
  const release = () => {
    // A finished call hands its slot straight to the next waiting one, so a call arriving in
    // between cannot take it as well.
    const waiting = queue.shift();
    if (waiting) waiting();
    else running--;
  };
  return async <T>(work: () => Promise<T>): Promise<T> => {
    if (running < n) running++;
    else await new Promise<void>((resolve) => queue.push(resolve));
    try {
      return await work();
    } finally {
      release();
    }
  };
}
