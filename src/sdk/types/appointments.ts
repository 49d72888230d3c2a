import type { ClientId, Record_ } from './common.js';

/** What a role can be appointed to (Rails polymorphic class names). */
export type AppointmentEntityType = 'User' | 'Group';

/** A role held by a user or a group. */
export interface Appointment extends Record_ {
  entity_id: string;
  entity_type: AppointmentEntityType;
  role_id: string;
}

export interface AppointmentCreateParams extends ClientId {
  /** The user's or group's id; unique per role. */
  entity_id: string;
  entity_type: AppointmentEntityType;
}

export type AppointmentUpdateParams = Partial<Omit<AppointmentCreateParams, 'id'>>;
