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

const MESSAGES = {
  created: 'A build instance has been added to the platform.',
  updated: 'A build instance on the platform has been updated.',
  deleted: 'A build instance has been removed from the platform.',
} as const;

export interface InstanceBroadcast {
  platformId: string;
  message: Record<string, unknown>;
}

interface Notification {
  op: 'insert' | 'update' | 'delete';
  instance: { id: string; platform_id: string; build_id: string; launch_bindings?: unknown; deployed_at?: string | null };
}

/**
 * The broadcast for one notification, shaped like the reference server's (so its clients
 * understand it) plus what it lacks: the instance id, launch bindings and updates and deletes.
 */
export async function toBroadcast(db: Queryable, payload: string): Promise<InstanceBroadcast | undefined> {
  let note: Notification;
  try {
    note = JSON.parse(payload) as Notification;
  } catch {
    return undefined;
  }
  const instance = note?.instance;
  if (!instance?.id || !instance.platform_id) return undefined;
  const { rows } = await db.query<{ container_repository: string | null; container_tag: string | null; product_id: string | null; user_id: string | null }>(
    `SELECT b.container_repository, b.container_tag, b.product_id, pl.user_id
       FROM (SELECT $1::uuid AS build_id, $2::uuid AS platform_id) x
       LEFT JOIN builds b ON b.id = x.build_id
       LEFT JOIN platforms pl ON pl.id = x.platform_id`,
    [instance.build_id, instance.platform_id],
  );
  const joined = rows[0];
  const event = note.op === 'insert' ? 'created' : note.op === 'update' ? 'updated' : 'deleted';
  const model: Record<string, unknown> = {
    id: instance.id,
    build: {
      id: instance.build_id,
      container_repository: joined?.container_repository ?? null,
      container_tag: joined?.container_tag ?? null,
      ...(joined?.product_id ? { product: { id: joined.product_id } } : {}),
    },
    platform: { id: instance.platform_id, ...(joined?.user_id ? { user: { id: joined.user_id } } : {}) },
    deployed_at: instance.deployed_at ? new Date(instance.deployed_at).toISOString() : null,
  };
  if (instance.launch_bindings !== undefined) model.launch_bindings = instance.launch_bindings;
  return {
    platformId: instance.platform_id,
    message: { resource_type: 'instance', event_type: event, message: MESSAGES[event], model: { instance: model } },
  };
}
