import { InvalidArgumentError } from '../errors.js';
import type { PagePromise } from '../pagination.js';
import { APIResource, requireText, uuid } from '../resource.js';
import type { RequestOptions } from '../transport.js';
import type {
  Appointment,
  AppointmentCreateParams,
  AppointmentEntityType,
  AppointmentUpdateParams,
} from '../types/appointments.js';

const shape = { root: 'appointment' } as const;
const ENTITY_TYPES: readonly AppointmentEntityType[] = ['User', 'Group'];

function base(roleId: string): string {
  return `/roles/${uuid('roleId', roleId)}/appointments`;
}

/** `/roles/:role_id/appointments`: who holds a role (users and groups). */
export class Appointments extends APIResource {
  /** A bare array on the reference server (which answers 500 once the list is non-empty). */
  list(roleId: string, options?: RequestOptions): PagePromise<Appointment> {
    return this._list<Appointment>(() => base(roleId), undefined, options);
  }

  async retrieve(roleId: string, appointmentId: string, options?: RequestOptions): Promise<Appointment> {
    return this._retrieve<Appointment>(`${base(roleId)}/${uuid('appointmentId', appointmentId)}`, options);
  }

  async create(roleId: string, params: AppointmentCreateParams, options?: RequestOptions): Promise<Appointment> {
    const role_id = uuid('roleId', roleId);
    requireText(params, ['entity_id', 'entity_type'], 'appointments.create');
    checkEntityType(params.entity_type);
    const attrs = { ...params, entity_id: uuid('entity_id', params.entity_id) };
    return this._create<Appointment>(base(role_id), shape, attrs, { role_id }, options);
  }

  async update(roleId: string, appointmentId: string, params: AppointmentUpdateParams, options?: RequestOptions): Promise<Appointment> {
    const path = `${base(roleId)}/${uuid('appointmentId', appointmentId)}`;
    if (params?.entity_type !== undefined) checkEntityType(params.entity_type);
    return this._update<Appointment>(path, shape, params, options);
  }

  async delete(roleId: string, appointmentId: string, options?: RequestOptions): Promise<Appointment | null> {
    return this._delete<Appointment>(`${base(roleId)}/${uuid('appointmentId', appointmentId)}`, options);
  }
}

function checkEntityType(value: unknown): void {
  if (!ENTITY_TYPES.includes(value as AppointmentEntityType)) {
    throw new InvalidArgumentError('entity_type', `entity_type must be "User" or "Group", got "${String(value)}".`);
  }
}
