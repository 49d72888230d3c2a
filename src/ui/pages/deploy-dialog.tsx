/**
 * "Deploy to…": point-and-click deployment of a product. The operator picks one of their
 * platforms, a build (newest first) and the values of the variables the build declares; the
 * instance is created through the SDK, the platform's agent hears of it over its event stream,
 * and the platform page shows it turn from "Deploying…" to running, live.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Build } from '../../sdk/types/builds.js';
import type { Platform } from '../../sdk/types/platforms.js';
import type { Product } from '../../sdk/types/products.js';
import { api } from '../api.js';
import { Dialog, Empty, ErrorNote, Field, Loading, useAsync } from '../components/index.js';
import { here, Link, navigate } from '../router.js';
import { session, signedIn } from '../session.js';
import { buildVariables } from './platform/build-variables.js';
import { checkEnvironment, draftOf, type EnvironmentDraft, type EnvironmentErrors } from './platform/environment.js';
import { EnvironmentFields } from './platform/environment-fields.js';

export function DeployDialog({ product, open, onClose }: { product: Product; open: boolean; onClose: () => void }): JSX.Element {
  return (
    <Dialog open={open} title={`Deploy ${product.name}`} onClose={onClose}>
      {signedIn.value ? (
        <DeployForm product={product} onClose={onClose} />
      ) : (
        <p>
          <Link to={`sign-in?next=${encodeURIComponent(here())}`}>Sign in</Link> to deploy this product to one of your platforms.
        </p>
      )}
    </Dialog>
  );
}

function DeployForm({ product, onClose }: { product: Product; onClose: () => void }): JSX.Element {
  const userId = session.value.user?.id ?? '';
  const choices = useAsync(
    async (signal) => {
      const [platforms, builds] = await Promise.all([
        api().platforms.list(userId, { perPage: 100 }, { signal }).toArray({ limit: 500 }),
        api().builds.list(product.id, { perPage: 100 }, { signal }).toArray({ limit: 500 }),
      ]);
      return { platforms, builds: newestFirst(builds) };
    },
    [userId, product.id],
  );
  const [platformId, setPlatformId] = useState('');
  const [buildId, setBuildId] = useState('');
  useEffect(() => {
    if (!choices.data) return;
    setPlatformId((current) => current || (choices.data?.platforms[0]?.id ?? ''));
    setBuildId((current) => current || (choices.data?.builds[0]?.id ?? ''));
  }, [choices.data]);

  if (choices.loading && !choices.data) return <Loading label="Loading your platforms and this product's builds…" />;
  if (choices.error !== undefined) return <ErrorNote error={choices.error} />;
  const { platforms = [], builds = [] } = choices.data ?? {};
  if (builds.length === 0) return <Empty title="This product has no build to deploy yet.">Its publisher has not released one.</Empty>;
  if (platforms.length === 0) {
    return (
      <Empty title="You have no platform to deploy to.">
        <p>
          A platform is a host or cluster where an agent runs what you deploy. <Link to="platforms" onClick={onClose}>Create a platform</Link>, then come back.
        </p>
      </Empty>
    );
  }
  return (
    <DeployChoices
      product={product}
      platforms={platforms}
      builds={builds}
      platformId={platformId || (platforms[0] as Platform).id}
      buildId={buildId || (builds[0] as Build).id}
      onPlatform={setPlatformId}
      onBuild={setBuildId}
      onClose={onClose}
    />
  );
}

interface ChoicesProps {
  product: Product;
  platforms: Platform[];
  builds: Build[];
  platformId: string;
  buildId: string;
  onPlatform: (id: string) => void;
  onBuild: (id: string) => void;
  onClose: () => void;
}

function DeployChoices({ product, platforms, builds, platformId, buildId, onPlatform, onBuild, onClose }: ChoicesProps): JSX.Element {
  const userId = session.value.user?.id ?? '';
  const variables = useAsync((signal) => buildVariables(product.id, buildId, signal), [product.id, buildId]);
  const [draft, setDraft] = useState<EnvironmentDraft>({ values: {}, other: '' });
  const [errors, setErrors] = useState<EnvironmentErrors>({});
  const [failure, setFailure] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  // A new build declares other variables: values typed for the old one carry over by name.
  useEffect(() => {
    if (variables.data) setDraft((current) => ({ ...draftOf(variables.data ?? [], current.values), other: current.other }));
    setErrors({});
  }, [variables.data]);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!variables.data || busy) return;
    const checked = checkEnvironment(variables.data, draft);
    setErrors(checked.errors);
    setFailure(undefined);
    if (Object.keys(checked.errors).length) {
      // Take the person to the first field that needs them.
      (document.querySelector('.deploy-form [aria-invalid="true"]') as HTMLElement | null)?.focus();
      return;
    }
    setBusy(true);
    try {
      await api().instances.create(userId, platformId, { build_id: buildId, launch_bindings: { environment: checked.environment } });
      onClose();
      navigate(`platforms/${platformId}`);
    } catch (error) {
      setFailure(error);
      setBusy(false);
    }
  };

  return (
    <form class="deploy-form" noValidate onSubmit={(event) => void submit(event)}>
      <Field label="Platform" hint="Its agent deploys the instance.">
        <select name="platform" value={platformId} onChange={(event) => onPlatform((event.target as HTMLSelectElement).value)}>
          {platforms.map((platform) => (
            <option key={platform.id} value={platform.id}>
              {platform.name}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Build" hint="Newest first.">
        <select name="build" value={buildId} onChange={(event) => onBuild((event.target as HTMLSelectElement).value)}>
          {builds.map((build) => (
            <option key={build.id} value={build.id}>
              {buildLabel(build)}
            </option>
          ))}
        </select>
      </Field>
      {variables.loading && !variables.data && <Loading label="Loading the build's settings…" />}
      {variables.error !== undefined && <ErrorNote error={variables.error} />}
      {variables.data && <EnvironmentFields variables={variables.data} draft={draft} errors={errors} onChange={setDraft} />}
      {failure !== undefined && <ErrorNote error={failure} />}
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled={busy || !variables.data}>
          {busy ? 'Deploying…' : 'Deploy'}
        </button>
        <button type="button" class="btn" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function newestFirst(builds: Build[]): Build[] {
  const time = (build: Build) => Date.parse(build.published_at ?? build.created_at) || 0;
  return [...builds].sort((a, b) => time(b) - time(a));
}

function buildLabel(build: Build): string {
  const version = build.version || 'unnamed build';
  const date = build.published_at ?? build.created_at;
  const day = date && !Number.isNaN(Date.parse(date)) ? new Date(date).toLocaleDateString(undefined, { dateStyle: 'medium' }) : undefined;
  return day ? `${version} (${day})` : version;
}
