// The request timeout of a connection that sends a request every millisecond: one timer, not re-armed per
// request (a flush a millisecond would touch the timer list each time). It fires at most once per timeout;
// then the oldest request still waiting either has timed out, or gets a timer for exactly what it has left,
// so every request fails one timeout after it was sent, never earlier and never a whole timeout later.

export class RequestTimer {
  private timer: NodeJS.Timeout;
  /** the timer is scheduled, to fire within one timeout of now */
  private armed = true;
  /** the timer's delay is the whole timeout (refresh() may reuse it) */
  private whole = true;

  /**
   * `oldest`: when the oldest request still waiting was sent (performance.now()), Infinity when none;
   * `timedOut`: called once that request is a whole timeout old.
   */
  constructor(private readonly ms: number, private readonly oldest: () => number, private readonly timedOut: () => void) {
    this.timer = setTimeout(this.fire, ms);
    this.timer.unref();
  }

  /** a request went out now */
  sent(): void {
    if (this.armed) return;
    this.armed = true;
    if (this.whole) this.timer.refresh();
    else this.schedule(this.ms);
  }

  close(): void {
    clearTimeout(this.timer);
    // a request sent after a close (a new connection) gets a timer of its own
    this.armed = false;
    this.whole = false;
  }

  private schedule(ms: number): void {
    this.whole = ms === this.ms;
    this.timer = setTimeout(this.fire, ms);
    this.timer.unref();
  }

  private readonly fire = (): void => {
    this.armed = false;
    const oldest = this.oldest();
    if (oldest === Infinity) return;
    const left = this.ms - (performance.now() - oldest);
    if (left <= 1) { this.timedOut(); return; }
    this.armed = true;
    this.schedule(left);
  };
}
