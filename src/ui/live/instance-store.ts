/**
 * One platform's instances as the page shows them, kept current from two sources that race:
 * full listings over REST (at start and after every (re)subscription, since ActionCable replays
 * nothing missed while disconnected) and the event stream. An event is newer than any listing
 * that began before it arrived, so a slow listing never undoes what an event already showed.
 */
import type { InstanceEvent } from '../../events/platform.js';
import type { Instance } from '../../sdk/types/instances.js';

export class InstanceStore {
  private records = new Map<string, Instance>();
  /** Per instance, the sequence number of the last event (or local write) about it. */
  private readonly touched = new Map<string, number>();
  private sequence = 0;
  /** Instances whose held `updated_at` is the server's (a REST answer, or an event that carried it). */
  private readonly serverTimed = new Set<string>();

  constructor(private readonly onChange: () => void) {}

  /** Oldest first, as instances were deployed. */
  list(): Instance[] {
    return [...this.records.values()].sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1));
  }

  get(id: string): Instance | undefined {
    return this.records.get(id);
  }

  /** A mark to pass to `replaceAll` when the listing that started now comes back. */
  mark(): number {
    return this.sequence;
  }

  /** A full listing that began at `mark`: what events said since then wins. */
  replaceAll(listed: Instance[], mark: number): void {
    const next = new Map<string, Instance>();
    for (const instance of listed) {
      if ((this.touched.get(instance.id) ?? 0) <= mark) {
        next.set(instance.id, instance);
        this.serverTimed.add(instance.id);
      } else {
        const newer = this.records.get(instance.id);
        if (newer) next.set(instance.id, newer);
      }
    }
    for (const [id, instance] of this.records) if (!next.has(id) && (this.touched.get(id) ?? 0) > mark) next.set(id, instance);
    this.records = next;
    this.onChange();
  }

  /** A record read or written over REST just now. */
  put(instance: Instance): void {
    this.store(instance, true);
  }

  /**
   * Stores a record, unless the one held is newer by the server's clock: a write's answer may
   * arrive after the event of a later change (the agent's report on it), and must not undo it.
   */
  private store(instance: Instance, serverTimed: boolean): void {
    const held = this.records.get(instance.id);
    if (held && serverTimed && this.serverTimed.has(instance.id) && Date.parse(held.updated_at) > Date.parse(instance.updated_at)) return;
    this.touched.set(instance.id, ++this.sequence);
    this.records.set(instance.id, instance);
    if (serverTimed) this.serverTimed.add(instance.id);
    else this.serverTimed.delete(instance.id);
    this.onChange();
  }

  remove(id: string): boolean {
    this.touched.set(id, ++this.sequence);
    const had = this.records.delete(id);
    this.onChange();
    return had;
  }

  /**
   * Applies an event that carries the record's state (ours do: launch bindings and
   * `deployed_at`); returns false when it does not, and the caller reads the record instead.
   */
  apply(event: InstanceEvent): boolean {
    const id = event.instanceId;
    if (!id) return false;
    if (event.type === 'instance.deleted') {
      this.remove(id);
      return true;
    }
    const model = event.instance;
    if (model.launch_bindings === undefined || !('deployed_at' in model)) return false;
    const now = new Date().toISOString();
    const before = this.records.get(id);
    // `hsp serve`'s events carry the record's own times; the reference server's do not.
    this.store(
      {
        created_at: model.created_at ?? before?.created_at ?? now,
        ...before,
        id,
        platform_id: event.platformId,
        build_id: event.buildId,
        launch_bindings: model.launch_bindings,
        deployed_at: model.deployed_at ?? null,
        product_id: model.build.product?.id ?? before?.product_id ?? null,
        updated_at: model.updated_at ?? now,
      },
      model.updated_at !== undefined,
    );
    return true;
  }

  /** Starts a read of one record: `settle` stores its answer unless something newer came first. */
  reading(id: string): (instance: Instance | null) => void {
    const ticket = ++this.sequence;
    this.touched.set(id, ticket);
    return (instance) => {
      if (this.touched.get(id) !== ticket) return;
      if (instance) {
        this.records.set(id, instance);
        this.serverTimed.add(id);
      } else this.records.delete(id);
      this.onChange();
    };
  }
}
