/**
 * What a manifest declares, whichever format it came from (`hsp.yaml` or the specification's
 * `marketplace.json`): one product and one build of it. The loaders fill this in; the planner
 * compares it with the marketplace; `hsp manifest convert` writes it back out.
 *
 * Paths (logo, screenshots, content) are absolute, resolved against the manifest's folder.
 * Ids are optional everywhere: the planner matches records by id when given, else by their
 * natural key (a licence's URL, a configuration's name, a task's name within its
 * configuration, an exposure's or dependency's interface, a parameter's name within its
 * exposure, a screenshot's caption).
 */

export type ManifestFormat = 'hsp.yaml' | 'marketplace.json';

export interface Manifest {
  /** The file it was read from (as the user gave it, for messages) and its format. */
  file: string;
  format: ManifestFormat;
  /** The marketplace the manifest names (`marketplace_url`); the target when none is given. */
  marketplaceUrl?: string;
  product: ProductSpec;
  build: BuildSpec;
  /**
   * What the specification's format carries for label rendering only (facts such as
   * organization, stewards, pricing, provenance), kept so a conversion loses nothing.
   */
  label?: Record<string, unknown>;
}

export interface ProductSpec {
  id?: string;
  name: string;
  description?: string;
  uri?: string;
  supportUrl?: string;
  /** e.g. `application/smart.v1`. */
  mimeType?: string;
  externalId?: string;
  locale?: string;
  licenses: LicenseSpec[];
  /** An image file. */
  logo?: string;
  screenshots: ScreenshotSpec[];
}

/** A licence the product is offered under: found by id or URL, created when missing. */
export interface LicenseSpec {
  id?: string;
  name: string;
  url: string;
  description?: string;
  expiry?: 'indefinite' | 'relative_date' | 'absolute_date';
  daysValid?: number;
  expiresAt?: string;
  uses?: number;
  /** The publisher's own reference for this offer (the product licence's `external_id`). */
  externalId?: string;
}

export interface ScreenshotSpec {
  id?: string;
  caption: string;
  /** An image file. */
  file: string;
}

export interface BuildSpec {
  id?: string;
  /** Unique per product; a published version is an immutable release. */
  version: string;
  releaseNotes?: string;
  /** The OCI image, when the build runs as containers. */
  image?: ImageSpec;
  /** A folder packed into a reproducible `.tgz` and uploaded as the build's asset. */
  content?: string;
  permissions?: Record<string, unknown>;
  /** None: the image runs as it is, as one task (agents call it `default`). */
  configurations: ConfigurationSpec[];
  exposures: ExposureSpec[];
  dependencies: DependencySpec[];
}

export interface ImageSpec {
  /** `https://index.docker.io/v1/` in the specification's examples; informational. */
  registry?: string;
  /** `p3000/example` (the build's `container_repository`). */
  repository: string;
  /** `latest` (the build's `container_tag`). */
  tag: string;
  /** `sha256:…` when the reference pins one (`repo:tag@sha256:…`); it wins over the tag when pulling. */
  digest?: string;
}

export interface ConfigurationSpec {
  id?: string;
  name: string;
  /** The configuration an agent deploys (exactly one per build). */
  default: boolean;
  tasks: TaskSpec[];
}

export interface TaskSpec {
  id?: string;
  /** Unique within its configuration. */
  name: string;
  label?: string;
  /** MiB. */
  memoryMinimum?: number;
  memoryMaximum?: number;
  instancesMinimum?: number;
  instancesMaximum?: number;
  /** Static arguments, e.g. `['--mode', 'production']`. */
  options: string[];
  ports: number[];
  /** A cron expression for scheduled tasks. */
  cron?: string;
  environment: EnvironmentVariableSpec[];
}

export interface EnvironmentVariableSpec {
  /** `[A-Z0-9_]+`. */
  key: string;
  description: string;
  required?: boolean;
  default?: string;
  /** A regular expression the value must match. */
  pattern?: string;
}

/**
 * An interface the build exposes or needs: the interface's id, name or URI when it exists in
 * the marketplace, or declared in full so that the publish creates it when it is missing.
 */
export interface InterfaceUse {
  /** The exposure's or dependency's own id. */
  id?: string;
  interface: string | InterfaceSpec;
}

export interface InterfaceSpec {
  name: string;
  /** Unique, e.g. `http://hl7.org/fhir/R4`; how a declared interface is found. */
  uri: string;
  version: string;
}

/** An interface the build offers, and the settings its dependents can be wired to. */
export interface ExposureSpec extends InterfaceUse {
  /** Those listed are created or updated; `--prune` deletes the exposure's others. */
  parameters?: ParameterSpec[];
}

/** One of the build's environment variables that a dependent's `mappings` can name. */
export interface ParameterSpec {
  id?: string;
  /** `[A-Z0-9_]+`, unique within the exposure. */
  name: string;
  required?: boolean;
}

export interface DependencySpec extends InterfaceUse {
  /** Not deployed without a provider on the platform. */
  required?: boolean;
  /**
   * The variables the dependent gets: `{ "<NAME>": "<source>" }`, a source being one of the
   * provider exposure's parameter names, `url`, `host`, `port`, or a `{placeholder}` template
   * of those. Left out or empty: each of the exposure's parameters under its own name.
   */
  mappings?: Record<string, string>;
}

/** Something to fix that does not stop loading (an error with `--strict`). */
export interface ManifestWarning {
  file: string;
  line?: number;
  column?: number;
  message: string;
}

export interface LoadedManifest {
  manifest: Manifest;
  warnings: ManifestWarning[];
}

export interface LoadOptions {
  /** Known defects of real-world files become errors. */
  strict?: boolean;
  /** The build version, for formats that carry none (the specification's: else the image tag). */
  version?: string;
}
