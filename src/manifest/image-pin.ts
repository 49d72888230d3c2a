/**
 * The digest a publish records for the build's image: the one the manifest pins
 * (`image: repo:tag@sha256:…`), else the one the tag points to now in its registry (looked up
 * through the OCI distribution API with the user's Docker credentials). Agents then run that
 * exact image, whatever the tag points to later; a tag moved under a published version shows
 * up in the next plan as a change to an immutable release.
 */
import type { Dispatcher } from 'undici';
import { resolveManifestDigest, type ResolveOptions } from '../oci/manifest-digest.js';
import { RegistryError } from '../oci/registry-error.js';
import { formatImageReference } from './image-reference.js';
import type { Manifest } from './model.js';

export interface ImagePin {
  /** The image as the manifest names it, without the digest: `ghcr.io/acme/app:1.0`. */
  reference: string;
  /** `sha256:…` */
  digest: string;
  /** `registry`: the tag's digest, looked up now; `manifest`: written in the manifest. */
  source: 'registry' | 'manifest';
}

export type RegistryLookup = Omit<ResolveOptions, 'dispatcher'>;

/**
 * The pin, or the one sentence saying why the tag could not be looked up. `lookup` absent: no
 * registry is asked (`--no-resolve`), and only a digest the manifest writes is recorded.
 */
export async function pinImage(manifest: Manifest, lookup: RegistryLookup | undefined): Promise<{ pin?: ImagePin; error?: string }> {
  const image = manifest.build.image;
  if (!image) return {};
  const reference = formatImageReference({ repository: image.repository, tag: image.tag });
  if (image.digest) return { pin: { reference, digest: image.digest, source: 'manifest' } };
  if (!lookup) return {};
  const dispatcher = await proxyFor(lookup.env ?? process.env);
  try {
    const resolved = await resolveManifestDigest(reference, { ...lookup, ...(dispatcher ? { dispatcher } : {}) });
    return { pin: { reference, digest: resolved.digest, source: 'registry' } };
  } catch (error) {
    if (!(error instanceof RegistryError)) throw error;
    const why = error.message.replace(/\.$/, '');
    return { error: `Cannot pin ${reference} to a digest: ${why.charAt(0).toLowerCase()}${why.slice(1)}; pass --no-resolve to publish the tag alone.` };
  } finally {
    await dispatcher?.close();
  }
}

/** The environment's proxy, as the marketplace client uses it (NO_PROXY honoured). */
async function proxyFor(env: NodeJS.ProcessEnv): Promise<Dispatcher | undefined> {
  if (!(env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy)) return undefined;
  const { EnvHttpProxyAgent } = await import('undici');
  return new EnvHttpProxyAgent({
    ...(env.HTTP_PROXY || env.http_proxy ? { httpProxy: env.HTTP_PROXY || env.http_proxy } : {}),
    ...(env.HTTPS_PROXY || env.https_proxy ? { httpsProxy: env.HTTPS_PROXY || env.https_proxy } : {}),
    ...(env.NO_PROXY || env.no_proxy ? { noProxy: env.NO_PROXY || env.no_proxy } : {}),
  });
}
