/**
 * The database schema, as ordered migrations. Integrity lives here, not only in code:
 * uniqueness, foreign keys and the specification's cascades (deleting a parent deletes its
 * children). Never edit a released migration; add a new one.
 */

import { INSTANCE_EVENTS_JOINED_SQL, INSTANCE_EVENTS_SQL } from '../cable/instance-events.js';
import { CATALOG_EVENTS_SQL } from '../cache/catalog-events.js';
import { ACCESS_EVENTS_SQL } from '../auth/access-events.js';
import { REFUSED_BY_OWNERSHIP } from '../errors.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const timestamps = `created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now()`;
const id = `id uuid PRIMARY KEY DEFAULT gen_random_uuid()`;

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'marketplace',
    sql: `
CREATE TABLE users (
  ${id}, name text NOT NULL, external_id text, salutation text, first_name text, middle_name text, last_name text,
  ${timestamps}
);
CREATE INDEX users_external_id ON users (external_id);

CREATE TABLE identity_providers (
  ${id}, name text NOT NULL, issuer text NOT NULL, client_id text NOT NULL, client_secret text NOT NULL,
  alternate_client_id text, configuration jsonb, public_keys jsonb, scopes text NOT NULL DEFAULT '', enabled_at timestamptz,
  ${timestamps},
  CONSTRAINT identity_providers_name_unique UNIQUE (name),
  CONSTRAINT identity_providers_issuer_unique UNIQUE (issuer)
);

CREATE TABLE identities (
  ${id}, user_id uuid NOT NULL REFERENCES users ON DELETE CASCADE,
  identity_provider_id uuid NOT NULL REFERENCES identity_providers ON DELETE CASCADE,
  sub text NOT NULL, iat bigint, hd text, locale text, email text, jwt jsonb NOT NULL DEFAULT '{}',
  notify_via_email boolean NOT NULL DEFAULT false, notify_via_sms boolean NOT NULL DEFAULT false,
  ${timestamps},
  CONSTRAINT identities_sub_unique UNIQUE (identity_provider_id, sub)
);
CREATE INDEX identities_user_id ON identities (user_id);

-- A row per issued marketplace token: deleting it revokes the token.
CREATE TABLE json_web_tokens (
  ${id}, user_id uuid NOT NULL REFERENCES users ON DELETE CASCADE,
  identity_id uuid REFERENCES identities ON DELETE CASCADE,
  expires_at timestamptz NOT NULL,
  ${timestamps}
);
CREATE INDEX json_web_tokens_user_id ON json_web_tokens (user_id);

CREATE TABLE roles (
  ${id}, name text NOT NULL, description text, "default" boolean NOT NULL DEFAULT false, permissions jsonb NOT NULL DEFAULT '{}',
  ${timestamps},
  CONSTRAINT roles_name_unique UNIQUE (name)
);

CREATE TABLE groups (
  ${id}, name text NOT NULL, description text,
  ${timestamps},
  CONSTRAINT groups_name_unique UNIQUE (name)
);

CREATE TABLE members (
  ${id}, group_id uuid NOT NULL REFERENCES groups ON DELETE CASCADE, user_id uuid NOT NULL REFERENCES users ON DELETE CASCADE,
  ${timestamps},
  CONSTRAINT members_user_unique UNIQUE (group_id, user_id)
);

-- Polymorphic (User or Group), so no foreign key on entity_id: triggers below clean up.
CREATE TABLE appointments (
  ${id}, role_id uuid NOT NULL REFERENCES roles ON DELETE CASCADE,
  entity_id uuid NOT NULL, entity_type text NOT NULL CHECK (entity_type IN ('User', 'Group')),
  ${timestamps},
  CONSTRAINT appointments_entity_unique UNIQUE (role_id, entity_type, entity_id)
);
CREATE INDEX appointments_entity ON appointments (entity_type, entity_id);

CREATE FUNCTION delete_appointments_of_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN DELETE FROM appointments WHERE entity_type = 'User' AND entity_id = OLD.id; RETURN OLD; END $$;
CREATE TRIGGER users_delete_appointments AFTER DELETE ON users FOR EACH ROW EXECUTE FUNCTION delete_appointments_of_user();
CREATE FUNCTION delete_appointments_of_group() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN DELETE FROM appointments WHERE entity_type = 'Group' AND entity_id = OLD.id; RETURN OLD; END $$;
CREATE TRIGGER groups_delete_appointments AFTER DELETE ON groups FOR EACH ROW EXECUTE FUNCTION delete_appointments_of_group();

CREATE TABLE licenses (
  ${id}, name text NOT NULL, url text NOT NULL, description text,
  expiry text NOT NULL DEFAULT 'indefinite' CHECK (expiry IN ('indefinite', 'relative_date', 'absolute_date')),
  expires_at timestamptz, days_valid integer NOT NULL DEFAULT 0 CHECK (days_valid >= 0),
  uses integer NOT NULL DEFAULT 0 CHECK (uses >= 0), external_id text,
  ${timestamps},
  CONSTRAINT licenses_name_unique UNIQUE (name),
  CONSTRAINT licenses_url_unique UNIQUE (url)
);

-- Owners are kept: deleting a user who still owns products is refused.
CREATE TABLE products (
  ${id}, name text NOT NULL, description text, external_id text, locale text, mime_type text,
  user_id uuid NOT NULL REFERENCES users ON DELETE RESTRICT,
  uri text, support_url text, published_at timestamptz, visible_at timestamptz,
  ${timestamps},
  CONSTRAINT products_name_unique UNIQUE (name)
);
CREATE INDEX products_user_id ON products (user_id);
CREATE INDEX products_listed ON products (name) WHERE published_at IS NOT NULL AND visible_at IS NOT NULL;

CREATE TABLE product_logos (
  product_id uuid PRIMARY KEY REFERENCES products ON DELETE CASCADE,
  filename text NOT NULL, content_type text NOT NULL, byte_size integer NOT NULL, checksum text NOT NULL, data bytea NOT NULL,
  ${timestamps}
);

CREATE TABLE product_licenses (
  ${id}, product_id uuid NOT NULL REFERENCES products ON DELETE CASCADE, license_id uuid NOT NULL REFERENCES licenses ON DELETE CASCADE,
  external_id text,
  ${timestamps},
  CONSTRAINT product_licenses_license_unique UNIQUE (product_id, license_id)
);

CREATE TABLE sub_products (
  ${id}, parent_id uuid NOT NULL REFERENCES products ON DELETE CASCADE, child_id uuid NOT NULL REFERENCES products ON DELETE CASCADE,
  ${timestamps},
  CONSTRAINT sub_products_child_unique UNIQUE (parent_id, child_id),
  CONSTRAINT sub_products_not_self CHECK (parent_id <> child_id)
);
CREATE INDEX sub_products_child_id ON sub_products (child_id);

CREATE TABLE badges (
  ${id}, name text NOT NULL, description text,
  ${timestamps},
  CONSTRAINT badges_name_unique UNIQUE (name)
);

CREATE TABLE screenshots (
  ${id}, product_id uuid NOT NULL REFERENCES products ON DELETE CASCADE, caption text NOT NULL,
  ${timestamps},
  CONSTRAINT screenshots_caption_unique UNIQUE (product_id, caption)
);

CREATE TABLE screenshot_images (
  screenshot_id uuid PRIMARY KEY REFERENCES screenshots ON DELETE CASCADE,
  filename text NOT NULL, content_type text NOT NULL, byte_size integer NOT NULL, checksum text NOT NULL, data bytea NOT NULL,
  ${timestamps}
);

CREATE TABLE builds (
  ${id}, product_id uuid NOT NULL REFERENCES products ON DELETE CASCADE, version text NOT NULL, release_notes text,
  permissions jsonb NOT NULL DEFAULT '{}', container_repository text, container_tag text,
  validated_at timestamptz, published_at timestamptz,
  ${timestamps},
  CONSTRAINT builds_version_unique UNIQUE (product_id, version)
);

CREATE TABLE build_assets (
  build_id uuid PRIMARY KEY REFERENCES builds ON DELETE CASCADE,
  filename text NOT NULL, content_type text NOT NULL, byte_size integer NOT NULL, checksum text NOT NULL, data bytea NOT NULL,
  ${timestamps}
);

CREATE TABLE interfaces (
  ${id}, name text NOT NULL, uri text NOT NULL, version text NOT NULL, ordinal integer,
  ${timestamps},
  CONSTRAINT interfaces_name_unique UNIQUE (name),
  CONSTRAINT interfaces_uri_unique UNIQUE (uri)
);

CREATE TABLE surrogates (
  ${id}, interface_id uuid NOT NULL REFERENCES interfaces ON DELETE CASCADE,
  substitute_id uuid NOT NULL REFERENCES interfaces ON DELETE CASCADE,
  ${timestamps},
  CONSTRAINT surrogates_substitute_unique UNIQUE (interface_id, substitute_id)
);

CREATE TABLE exposures (
  ${id}, build_id uuid NOT NULL REFERENCES builds ON DELETE CASCADE, interface_id uuid NOT NULL REFERENCES interfaces ON DELETE CASCADE,
  ${timestamps}
);
CREATE INDEX exposures_build_id ON exposures (build_id);

CREATE TABLE parameters (
  ${id}, exposure_id uuid NOT NULL REFERENCES exposures ON DELETE CASCADE, name text NOT NULL, required boolean NOT NULL DEFAULT false,
  ${timestamps}
);
CREATE INDEX parameters_exposure_id ON parameters (exposure_id);

CREATE TABLE dependencies (
  ${id}, build_id uuid NOT NULL REFERENCES builds ON DELETE CASCADE, interface_id uuid NOT NULL REFERENCES interfaces ON DELETE CASCADE,
  required boolean NOT NULL DEFAULT true, mappings jsonb NOT NULL DEFAULT '{}',
  ${timestamps}
);
CREATE INDEX dependencies_build_id ON dependencies (build_id);

CREATE TABLE configurations (
  ${id}, build_id uuid NOT NULL REFERENCES builds ON DELETE CASCADE, name text NOT NULL,
  ${timestamps},
  CONSTRAINT configurations_name_unique UNIQUE (build_id, name)
);

CREATE TABLE tasks (
  ${id}, configuration_id uuid NOT NULL REFERENCES configurations ON DELETE CASCADE, name text NOT NULL,
  minimum integer NOT NULL DEFAULT 0 CHECK (minimum >= 0), maximum integer NOT NULL DEFAULT 0 CHECK (maximum >= 0),
  memory integer NOT NULL DEFAULT 1024 CHECK (memory >= 0),
  label text, options jsonb, ports jsonb, cron text, environment jsonb,
  ${timestamps},
  CONSTRAINT tasks_name_unique UNIQUE (configuration_id, name)
);

CREATE TABLE platforms (
  ${id}, user_id uuid NOT NULL REFERENCES users ON DELETE CASCADE, name text NOT NULL, public_key text,
  ${timestamps},
  CONSTRAINT platforms_name_unique UNIQUE (user_id, name)
);

CREATE TABLE instances (
  ${id}, platform_id uuid NOT NULL REFERENCES platforms ON DELETE CASCADE, build_id uuid NOT NULL REFERENCES builds ON DELETE CASCADE,
  launch_bindings jsonb NOT NULL DEFAULT '{}', deployed_at timestamptz,
  ${timestamps}
);
CREATE INDEX instances_platform_id ON instances (platform_id);

CREATE TABLE entitlements (
  ${id}, user_id uuid NOT NULL REFERENCES users ON DELETE CASCADE,
  product_license_id uuid NOT NULL REFERENCES product_licenses ON DELETE CASCADE, valid_from timestamptz,
  ${timestamps}
);

CREATE TABLE claims (
  ${id}, entitlement_id uuid NOT NULL REFERENCES entitlements ON DELETE CASCADE,
  claimant_id uuid NOT NULL, claimant_type text NOT NULL CHECK (claimant_type IN ('User', 'Group')),
  authorization_count integer NOT NULL DEFAULT 0 CHECK (authorization_count >= 0), authorized_at timestamptz,
  ${timestamps}
);

CREATE TABLE vouchers (
  ${id}, product_license_id uuid NOT NULL REFERENCES product_licenses ON DELETE CASCADE,
  entitlement_id uuid REFERENCES entitlements ON DELETE SET NULL, code text NOT NULL,
  issued_at timestamptz, expires_at timestamptz, redeemed_at timestamptz, redeemed_by uuid REFERENCES users ON DELETE SET NULL,
  ${timestamps},
  CONSTRAINT vouchers_code_unique UNIQUE (code)
);

CREATE TABLE attempts (
  ${id}, claim_id uuid REFERENCES claims ON DELETE SET NULL, claimant_id uuid, claimant_type text CHECK (claimant_type IN ('User', 'Group')),
  product_id uuid REFERENCES products ON DELETE CASCADE,
  ${timestamps}
);

-- Settings the server keeps for itself (e.g. the token signing secret of an embedded database).
CREATE TABLE settings (key text PRIMARY KEY, value text NOT NULL, ${timestamps});
`,
  },
  {
    version: 2,
    name: 'instance events',
    sql: INSTANCE_EVENTS_SQL,
  },
  {
    version: 3,
    name: 'build digests',
    // The image a build runs, pinned: the manifest digest its tag pointed to at publish.
    sql: `ALTER TABLE builds ADD COLUMN container_digest text
  CONSTRAINT builds_container_digest_sha256 CHECK (container_digest ~ '^sha256:[0-9a-f]{64}$');`,
  },
  {
    version: 4,
    name: 'catalogue events',
    // Every replica's cache of anonymous catalogue pages is emptied by these (../cache/).
    sql: CATALOG_EVENTS_SQL,
  },
  {
    version: 5,
    name: 'access events',
    // Every replica's cache of authenticated callers is emptied by these (../auth/caller-cache.ts).
    sql: ACCESS_EVENTS_SQL,
  },
  {
    version: 6,
    name: 'instance events carry their build and owner',
    // The broadcast of an instance event then needs no query of its own (../cable/instance-events.ts).
    sql: INSTANCE_EVENTS_JOINED_SQL,
  },
  {
    version: 7,
    name: 'ownership checked inside a write',
    // An update allowed by ownership checks the row it writes in the same statement, failing it
    // whole when the row would not be the caller's (../routes/crud.ts): no transaction, no re-read.
    sql: `CREATE FUNCTION hsp_refuse_unless(allowed boolean) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF allowed IS NOT TRUE THEN
    RAISE EXCEPTION 'The written row would not be the caller''s.' USING ERRCODE = '${REFUSED_BY_OWNERSHIP}';
  END IF;
  RETURN true;
END $$;`,
  },
];
