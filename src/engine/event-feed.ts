import type { Store } from '../core/store.js';
import type { HiveEvent } from '../core/types.js';

interface Subscriber {
  listener: (e: HiveEvent) => void;
  after: number;
}

const PAGE = 1_000;

/**
 * Tails the event log for in-process subscribers (live progress in the CLI; SSE later). The log is the
 * one source: events are read back from the store, so changes made by other processes show up too, in
 * sequence order, with no gap and no duplicate. Costs nothing while nobody subscribes.
 */
export class EventFeed {
  private readonly subs = new Set<Subscriber>();
  private scheduled = false;
  private pumping: Promise<void> | null = null;

  constructor(
    private readonly store: Store,
    private readonly onError: (err: unknown) => void,
  ) {}

  async subscribe(listener: (e: HiveEvent) => void, afterSeq?: number): Promise<() => void> {
    const sub: Subscriber = { listener, after: afterSeq ?? (await this.store.lastEventSeq()) };
    this.subs.add(sub);
    this.poke();
    return () => this.subs.delete(sub);
  }

  /** Something was written: read new events on the next turn of the event loop. */
  poke(): void {
    if (this.scheduled || this.subs.size === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump().catch(this.onError);
    });
  }

  async pump(): Promise<void> {
    if (this.pumping) return this.pumping.then(() => this.pump());
    this.pumping = (async () => {
      for (const sub of this.subs) {
        for (;;) {
          const page = await this.store.readEvents(sub.after, PAGE);
          for (const e of page) {
            sub.after = e.seq;
            try {
              sub.listener(e);
            } catch (err) {
              this.onError(err);
            }
          }
          if (page.length < PAGE) break;
        }
      }
    })();
    try {
      await this.pumping;
    } finally {
      this.pumping = null;
    }
  }
}
