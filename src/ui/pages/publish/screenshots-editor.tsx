/** A product's screenshots: each with its caption and a Delete button, and a form to add one with a preview. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { Screenshot } from '../../../sdk/types/screenshots.js';
import { api } from '../../api.js';
import { Empty, ErrorNote, Field } from '../../components/index.js';
import { checkImage, fieldErrors, formatBytes, IMAGE_ACCEPT, SaveStatus, SCREENSHOT_MAX_BYTES, useObjectUrl, useRemoteImage, useSaveStatus } from './shared.js';

export interface ScreenshotsEditorProps {
  productId: string;
  screenshots: Screenshot[];
  /** Reloads the product, whose answer carries its screenshots. */
  onChange: () => void;
}

export function ScreenshotsEditor({ productId, screenshots, onChange }: ScreenshotsEditorProps): JSX.Element {
  const [status, setStatus] = useSaveStatus();
  const [error, setError] = useState<unknown>();
  const remove = async (screenshot: Screenshot) => {
    setError(undefined);
    try {
      await api().screenshots.delete(productId, screenshot.id);
      setStatus(`Screenshot "${screenshot.caption}" deleted`);
      onChange();
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <section class="card" aria-labelledby="screenshots-heading">
      <h2 id="screenshots-heading">Screenshots</h2>
      {screenshots.length === 0 ? (
        <Empty title="No screenshots yet.">Add one below: people choose software by what it looks like.</Empty>
      ) : (
        <ul class="pub-shot-list">
          {screenshots.map((screenshot) => (
            <li key={screenshot.id} class="pub-shot">
              <ScreenshotImage productId={productId} screenshot={screenshot} />
              <p class="pub-shot-caption">{screenshot.caption}</p>
              <button type="button" class="btn btn-danger" aria-label={`Delete screenshot "${screenshot.caption}"`} onClick={() => void remove(screenshot)}>
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
      {error !== undefined && <ErrorNote error={error} />}
      <SaveStatus text={status} />
      <AddScreenshot
        productId={productId}
        onAdded={(caption) => {
          setStatus(`Screenshot "${caption}" added`);
          onChange();
        }}
      />
    </section>
  );
}

function ScreenshotImage({ productId, screenshot }: { productId: string; screenshot: Screenshot }): JSX.Element {
  const image = useRemoteImage((signal) => api().screenshots.image(productId, screenshot.id, 'medium', { signal }), screenshot.image_updated_at ?? screenshot.id);
  return (
    <div class="pub-shot-box">
      {image.url ? <img src={image.url} alt={screenshot.caption} width={320} height={200} /> : <span class="muted">{image.loading ? '' : 'No image'}</span>}
    </div>
  );
}

function AddScreenshot({ productId, onAdded }: { productId: string; onAdded: (caption: string) => void }): JSX.Element {
  const [caption, setCaption] = useState('');
  const [file, setFile] = useState<File>();
  const [problem, setProblem] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [formKey, setFormKey] = useState(0);
  const preview = useObjectUrl(file);
  const { byField, rest } = fieldErrors(error, { caption: 'Caption', image: 'Image' });

  const choose = (event: Event) => {
    const chosen = (event.target as HTMLInputElement).files?.[0];
    const why = chosen ? checkImage(chosen, 'screenshot', SCREENSHOT_MAX_BYTES) : undefined;
    setProblem(why);
    setFile(why ? undefined : chosen);
  };
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!caption.trim()) return setError(new Error('Write a caption for the screenshot.'));
    if (!file) return setProblem('Choose an image for the screenshot.');
    setBusy(true);
    setError(undefined);
    try {
      await api().screenshots.create(productId, { caption: caption.trim(), image: file });
      onAdded(caption.trim());
      setCaption('');
      setFile(undefined);
      setFormKey((n) => n + 1);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  const captionMissing = error instanceof Error && error.message === 'Write a caption for the screenshot.';
  return (
    <form key={formKey} class="pub-shot-form" onSubmit={(event) => void submit(event)} noValidate>
      <h3>Add a screenshot</h3>
      <Field label="Caption" error={captionMissing ? error.message : byField.caption}>
        <input type="text" name="caption" value={caption} maxLength={600} onInput={(event) => setCaption((event.target as HTMLInputElement).value)} />
      </Field>
      <Field label="Screenshot image" hint={`PNG, JPEG, GIF, WebP or SVG, at most ${formatBytes(SCREENSHOT_MAX_BYTES)}.`} error={problem ?? byField.image}>
        <input type="file" name="screenshot" accept={IMAGE_ACCEPT} onChange={choose} />
      </Field>
      {preview && (
        <div class="pub-shot-box">
          <img src={preview} alt="Preview of the screenshot to add" width={320} height={200} />
        </div>
      )}
      {rest && !captionMissing && <ErrorNote error={new Error(rest)} />}
      <div class="form-actions">
        <button type="submit" class="btn" disabled={busy}>
          {busy ? 'Adding…' : 'Add screenshot'}
        </button>
      </div>
    </form>
  );
}
