/**
 * A product's logo: the current one, a preview of a chosen file before it is sent (checked for
 * type and size first, so a wrong file costs no upload), upload and removal.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../../api.js';
import { ErrorNote, Field } from '../../components/index.js';
import { checkImage, formatBytes, IMAGE_ACCEPT, LOGO_MAX_BYTES, SaveStatus, useObjectUrl, useRemoteImage, useSaveStatus } from './shared.js';

export function LogoEditor({ productId, productName, hasLogo }: { productId: string; productName: string; hasLogo: boolean }): JSX.Element {
  const [version, setVersion] = useState(0);
  // Only asked for when there is one: a 404 for a missing logo would be a console error in every browser.
  const [present, setPresent] = useState(hasLogo);
  const current = useRemoteImage(
    (signal) => (present ? api().products.logo(productId, 'medium', { signal }) : Promise.reject(new Error('No logo.'))),
    version,
  );
  const [file, setFile] = useState<File>();
  const [problem, setProblem] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useSaveStatus();
  const preview = useObjectUrl(file);

  const choose = (event: Event) => {
    const input = event.target as HTMLInputElement;
    const chosen = input.files?.[0];
    setError(undefined);
    if (!chosen) {
      setFile(undefined);
      setProblem(undefined);
      return;
    }
    const why = checkImage(chosen, 'logo', LOGO_MAX_BYTES);
    setProblem(why);
    setFile(why ? undefined : chosen);
    if (why) input.value = '';
  };
  const run = async (work: () => Promise<unknown>, done: string, nowPresent: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
      setPresent(nowPresent);
      setFile(undefined);
      setVersion((n) => n + 1);
      setStatus(done);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  const shown = preview ?? current.url;
  return (
    <section class="card" aria-labelledby="logo-heading">
      <h2 id="logo-heading">Logo</h2>
      <div class="pub-logo-row">
        <div class="pub-logo-box">
          {shown ? (
            <img src={shown} width={128} height={128} alt={preview ? `Preview of the new logo for ${productName}` : `Logo of ${productName}`} />
          ) : (
            <span class="muted">{current.loading ? '' : 'No logo'}</span>
          )}
        </div>
        <form
          key={version}
          class="pub-logo-form"
          onSubmit={(event) => {
            event.preventDefault();
            if (file) void run(() => api().products.setLogo(productId, file), 'Logo saved', true);
          }}
        >
          <Field label="Logo image" hint={`PNG, JPEG, GIF, WebP or SVG, at most ${formatBytes(LOGO_MAX_BYTES)}; square looks best.`} error={problem}>
            <input type="file" name="logo" accept={IMAGE_ACCEPT} onChange={choose} />
          </Field>
          {error !== undefined && <ErrorNote error={error} />}
          <div class="form-actions">
            <button type="submit" class="btn btn-primary" disabled={!file || busy}>
              Upload logo
            </button>
            {current.url && !preview && (
              <button type="button" class="btn btn-danger" disabled={busy} onClick={() => void run(() => api().products.removeLogo(productId), 'Logo removed', false)}>
                Remove logo
              </button>
            )}
            <SaveStatus text={status} />
          </div>
        </form>
      </div>
    </section>
  );
}
