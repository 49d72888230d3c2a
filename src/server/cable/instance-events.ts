/**
 * Instance changes as platform events. A database trigger NOTIFYs every insert, update and
 * delete of an instance (cascades included), and PostgreSQL delivers a NOTIFY only after its
 * transaction commits, to every replica LISTENing on the database. Each replica then turns
 * the notification into the broadcast its own subscribers get.
 */
import type { Queryable } from '../db/database.js';

export const CHANNEL = 'hsp_instance_events';

/** Migration SQL: the trigger. `launch_bindings` is left out when it would not fit a NOTIFY (8000 bytes). */
export const INSTANCE_EVENTS_SQL = `
CREATE FUNCTION notify_instance_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  row_data jsonb := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
  payload text;
BEGIN
  payload := json_build_object('op', lower(TG_OP), 'instance', row_data)::text;
  IF octet_length(payload) > 7900 THEN
    payload := json_build_object('op', lower(TG_OP), 'instance', row_data - 'launch_bindings')::text;
  END IF;
  PERFORM pg_notify('${CHANNEL}', payload);
  RETURN NULL;
END $$;
CREATE TRIGGER instances_notify AFTER INSERT OR UPDATE OR DELETE ON instances
  FOR EACH ROW EXECUTE FUNCTION notify_instance_change();
`;

/**
 * Migration SQL (to add after INSTANCE_EVENTS_SQL, which stays as released): the same trigger,
 * whose notification also carries what a broadcast shows of the instance's build and platform,
 * read in the writing transaction itself. A replica then turns it into a broadcast without a
 * query of its own (`toBroadcasts`), where each event cost one: on the embedded database, which
 * answers one statement at a time, two statements per deploy (the create's event and the
 * report's) that every request waited behind. `build` is null when the build is gone (a
 * cascade from deleting it), as the lookup would find it.
 */
export const INSTANCE_EVENTS_JOINED_SQL = `
CREATE OR REPLACE FUNCTION notify_instance_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  row_record instances := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  row_data jsonb := to_jsonb(row_record);
  build_data json := (SELECT json_build_object('container_repository', b.container_repository, 'container_tag', b.container_tag, 'product_id', b.product_id)
                        FROM builds b WHERE b.id = row_record.build_id);
  owner_id uuid := (SELECT p.user_id FROM platforms p WHERE p.id = row_record.platform_id);
  payload text;
BEGIN
  payload := json_build_object('op', lower(TG_OP), 'instance', row_data, 'build', build_data, 'owner', owner_id)::text;
  IF octet_length(payload) > 7900 THEN
    payload := json_build_object('op', lower(TG_OP), 'instance', row_data - 'launch_bindings', 'build', build_data, 'owner', owner_id)::text;
  END IF;
  PERFORM pg_notify('${CHANNEL}', payload);
  RETURN NULL;
END $$;
`;

const MESSAGES = {
  created: 'A build instance has been added to the platform.',
  updated: 'A build instance on the platform has been updated.',
  deleted: 'A build instance has been removed from the platform.',
} as const;

export interface InstanceBroadcast {
  platformId: string;
  message: Record<string, unknown>;
}

/** The instance row as the trigger sends it (`to_jsonb`: timestamps with their offset). */
interface InstanceRow {
  id: string;
  platform_id: string;
  build_id: string;
  launch_bindings?: unknown;
  deployed_at?: string | null;
  created_at?: string;
  updated_at?: string;
}

interface Notification {
  op: 'insert' | 'update' | 'delete';
  instance: InstanceRow;
  /** Sent by INSTANCE_EVENTS_JOINED_SQL's trigger (null: the build is gone); absent: look it up. */
  build?: { container_repository: string | null; container_tag: string | null; product_id: string | null } | null;
  /** Sent with `build`: the platform's owner (null: the platform is gone). */
  owner?: string | null;
}

/** What the rows the notification names say: the build's image and product, the platform's owner. */
interface Joined {
  container_repository: string | null;
  container_tag: string | null;
  product_id: string | null;
  user_id: string | null;
}

/**
 * The broadcasts for notifications that arrived together, in their order (`undefined` for one
 * that is not an instance notification). Shaped like the reference server's (so its clients
 * understand them) plus what it lacks: the instance id, updates and deletes, and the whole record
 * as `GET` renders it (`platform_id`, `build_id`, `product_id`, launch bindings, `deployed_at`,
 * `created_at`, `updated_at`, `path`), so that a client can act on a change without reading
 * the record again. Notifications of the joined trigger carry the build and owner already;
 * for the others, builds and platforms are looked up together, in one query for them all.
 * Should it fail, the events still go out with what the notification itself holds: a lost
 * event costs an agent a deploy until its next reconcile, a missing image name nothing.
 */
export async function toBroadcasts(db: Queryable, payloads: readonly string[]): Promise<(InstanceBroadcast | undefined)[]> {
  const notes = payloads.map(parse);
  const buildIds = new Set<string>();
  const platformIds = new Set<string>();
  for (const note of notes) {
    if (!note || 'build' in note) continue;
    if (UUID.test(note.instance.build_id)) buildIds.add(note.instance.build_id);
    platformIds.add(note.instance.platform_id);
  }
  const builds = new Map<string, Omit<Joined, 'user_id'>>();
  const owners = new Map<string, string>();
  if (platformIds.size > 0) {
    try {
      const { rows } = await db.query<{ kind: 'build' | 'platform'; id: string; container_repository: string | null; container_tag: string | null; product_id: string | null; user_id: string | null }>(
        `SELECT 'build' AS kind, id, container_repository, container_tag, product_id, NULL::uuid AS user_id FROM builds WHERE id = ANY($1::uuid[])
         UNION ALL
         SELECT 'platform', id, NULL, NULL, NULL, user_id FROM platforms WHERE id = ANY($2::uuid[])`,
        [[...buildIds], [...platformIds]],
      );
      for (const row of rows) {
        if (row.kind === 'build') builds.set(row.id, { container_repository: row.container_repository, container_tag: row.container_tag, product_id: row.product_id });
        else if (row.user_id) owners.set(row.id, row.user_id);
      }
    } catch {
      // Sent with what the notifications hold (see above).
    }
  }
  return notes.map((note) => {
    if (!note) return undefined;
    const joined = 'build' in note;
    const build = joined ? note.build : builds.get(note.instance.build_id);
    const owner = joined ? note.owner : owners.get(note.instance.platform_id);
    return broadcastOf(note, { container_repository: null, container_tag: null, product_id: null, ...build, user_id: owner ?? null });
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function parse(payload: string): Notification | undefined {
  let note: Notification;
  try {
    note = JSON.parse(payload) as Notification;
  } catch {
    return undefined;
  }
  const instance = note?.instance;
  if (!instance?.id || typeof instance.platform_id !== 'string' || !UUID.test(instance.platform_id)) return undefined;
  return note;
}

function broadcastOf(note: Notification, joined: Joined): InstanceBroadcast {
  const { instance } = note;
  const event = note.op === 'insert' ? 'created' : note.op === 'update' ? 'updated' : 'deleted';
  const model: Record<string, unknown> = {
    id: instance.id,
    build: {
      id: instance.build_id,
      container_repository: joined.container_repository,
      container_tag: joined.container_tag,
      ...(joined.product_id ? { product: { id: joined.product_id } } : {}),
    },
    platform: { id: instance.platform_id, ...(joined.user_id ? { user: { id: joined.user_id } } : {}) },
    // The record's own fields, as `GET` renders them.
    platform_id: instance.platform_id,
    build_id: instance.build_id,
    product_id: joined.product_id,
    deployed_at: isoOrNull(instance.deployed_at),
    ...(instance.created_at ? { created_at: isoOrNull(instance.created_at) } : {}),
    ...(instance.updated_at ? { updated_at: isoOrNull(instance.updated_at) } : {}),
    // Under its owner, as the owner's (or the platform's agent's) requests name it; the same
    // link `GET` renders (resources/accounts/instances.ts: nested below the platform, `.json`).
    ...(joined.user_id ? { path: `/users/${joined.user_id}/platforms/${instance.platform_id}/instances/${instance.id}.json` } : {}),
  };
  if (instance.launch_bindings !== undefined) model.launch_bindings = instance.launch_bindings;
  return {
    platformId: instance.platform_id,
    message: { resource_type: 'instance', event_type: event, message: MESSAGES[event], model: { instance: model } },
  };
}

function isoOrNull(value: string | null | undefined): string | null {
  return value ? new Date(value).toISOString() : null;
}
