/**
 * Request bodies still arriving. The runtime's graceful shutdown cuts off uploads in progress
 * (their reads fail), so a shutdown first waits for these to arrive, then stops the server,
 * which lets the handlers finish.
 *
 * @module
 */

export class UploadsInProgress {
  #arriving = new Set<Promise<void>>();

  /** Counts `arrived` until it settles. */
  track(arrived: Promise<void>): void {
    this.#arriving.add(arrived);
    arrived.finally(() => this.#arriving.delete(arrived));
  }

  get count(): number {
    return this.#arriving.size;
  }

  /**
   * Resolves true once no body is arriving (uploads that start meanwhile are waited for too),
   * or false after `timeoutMs`.
   */
  async allArrived(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      while (this.#arriving.size > 0) {
        const left = deadline - performance.now();
        if (left <= 0) return false;
        const expired = new Promise<void>((resolve) => timer = setTimeout(resolve, left));
        await Promise.race([Promise.all(this.#arriving), expired]);
        clearTimeout(timer);
      }
      return true;
    } finally {
      clearTimeout(timer);
    }
  }
}
