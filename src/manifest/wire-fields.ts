/**
 * What a manifest's records become on the wire: the fields `hsp publish` sends and compares.
 *
 * A field the manifest leaves out is not managed: it is neither sent nor compared, so what
 * the server defaulted it to, or someone set by hand, stays. (Clearing a value means writing
 * it empty in the manifest.) Task mapping: instances minimum and maximum become `minimum` and
 * `maximum`; the server keeps one memory figure per task, `memory`, which gets the most the
 * task may use (`memory_maximum`, else `memory_minimum`). The specification's separate
 * `memory_minimum` therefore does not survive a round trip through a marketplace.
 */
import type { BuildSpec, DependencySpec, LicenseSpec, ParameterSpec, ProductSpec, TaskSpec } from './model.js';

export type WireFields = Record<string, unknown>;

export function productFields(spec: ProductSpec): WireFields {
  return defined({
    name: spec.name,
    description: spec.description,
    uri: spec.uri,
    support_url: spec.supportUrl,
    mime_type: spec.mimeType,
    external_id: spec.externalId,
    locale: spec.locale,
  });
}

/** A licence as created when the marketplace has none at the manifest's URL. */
export function licenseFields(spec: LicenseSpec): WireFields {
  return defined({
    name: spec.name,
    url: spec.url,
    description: spec.description,
    // The servers require an expiry; a licence that names none never expires.
    expiry: spec.expiry ?? 'indefinite',
    days_valid: spec.daysValid,
    expires_at: spec.expiresAt,
    uses: spec.uses,
  });
}

export function productLicenseFields(spec: LicenseSpec, licenseId: string): WireFields {
  return defined({ license_id: licenseId, external_id: spec.externalId });
}

/** `digest`: the image's pinned digest (image-pin.ts), when the publish records one. */
export function buildFields(spec: BuildSpec, digest?: string): WireFields {
  return defined({
    version: spec.version,
    release_notes: spec.releaseNotes,
    container_repository: spec.image?.repository,
    container_tag: spec.image?.tag,
    container_digest: spec.image ? digest : undefined,
    permissions: spec.permissions,
  });
}

export function taskFields(spec: TaskSpec): WireFields {
  return defined({
    name: spec.name,
    label: spec.label,
    minimum: spec.instancesMinimum,
    maximum: spec.instancesMaximum,
    memory: spec.memoryMaximum ?? spec.memoryMinimum,
    options: spec.options,
    ports: spec.ports,
    cron: spec.cron,
    environment: spec.environment.map((variable) =>
      defined({ key: variable.key, description: variable.description, required: variable.required, default: variable.default, pattern: variable.pattern }),
    ),
  });
}

export function parameterFields(spec: ParameterSpec): WireFields {
  return defined({ name: spec.name, required: spec.required });
}

export function dependencyFields(spec: DependencySpec, interfaceId: string): WireFields {
  return defined({ interface_id: interfaceId, required: spec.required, mappings: spec.mappings });
}

function defined(fields: WireFields): WireFields {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}
