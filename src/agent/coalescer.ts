/**
 * One run of an action for a burst of triggers: the first trigger starts a delay, the ones
 * during it join it. The agent uses it so that dependents follow a reconcile's hundred deploys
 * with a few passes, not a hundred.
 */
export class Coalescer {
  private timer: NodeJS.Timeout | undefined;
  private finish: (() => void) | undefined;
  /** Settles once the pending run has happened (or was cancelled); undefined when none is pending. */
  pending: Promise<void> | undefined;

  constructor(
    private readonly delayMs: number,
    private readonly action: () => void,
  ) {}

  trigger(): void {
    if (this.pending) return;
    this.pending = new Promise((resolve) => (this.finish = resolve));
    this.timer = setTimeout(() => {
      const finish = this.end();
      try {
        this.action();
      } finally {
        finish?.();
      }
    }, this.delayMs);
  }

  /** Drops the pending run. */
  cancel(): void {
    clearTimeout(this.timer);
    this.end()?.();
  }

  private end(): (() => void) | undefined {
    const finish = this.finish;
    this.timer = this.pending = this.finish = undefined;
    return finish;
  }
}
