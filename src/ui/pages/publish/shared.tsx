/**
 * What the publisher pages share: field errors from the API's 422 answers,
 * the "Saved" live region, image checks before upload, and images fetched with the session's
 * token (an unpublished product's logo is not public, so a plain <img src> could not load it).
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ValidationError } from '../../../sdk/errors.js';
import type { FileResponse } from '../../../sdk/uploads.js';
import type { Product } from '../../../sdk/types/products.js';
import { describeError } from '../../api.js';
import { PageTitle } from '../../components/index.js';
import { Link } from '../../router.js';

/**
 * Per-field sentences from a 422 (`{name: ["can't be blank"]}` → "Name can't be blank."), for
 * the fields a form shows; `rest` is the one sentence for everything else (or undefined).
 */
export function fieldErrors(error: unknown, labels: Record<string, string>): { byField: Record<string, string>; rest?: string } {
  if (error === undefined) return { byField: {} };
  if (!(error instanceof ValidationError)) return { byField: {}, rest: describeError(error) };
  const byField: Record<string, string> = {};
  const other: string[] = [];
  for (const [field, messages] of Object.entries(error.fieldErrors)) {
    const label = labels[field];
    const text = messages.map((message) => asSentence(`${label ?? humanise(field)} ${message}`)).join(' ');
    if (label) byField[field] = text;
    else other.push(text);
  }
  if (!Object.keys(byField).length && !other.length) return { byField, rest: describeError(error) };
  return { byField, rest: other.length ? other.join(' ') : undefined };
}

function humanise(field: string): string {
  if (field === 'base') return 'This record';
  const words = field.replace(/_id$/, '').replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function asSentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/**
 * A polite live region that is always in the page (screen readers announce changes only of
 * regions that already exist), saying "Saved" after a save.
 */
export function SaveStatus({ text }: { text: string }): JSX.Element {
  return (
    <p class="pub-save-status" role="status" aria-live="polite">
      {text}
    </p>
  );
}

/** "Saved" that fades back to nothing after a few seconds, so a second save is announced again. */
export function useSaveStatus(): [string, (text: string) => void] {
  const [text, setText] = useState('');
  useEffect(() => {
    if (!text) return;
    const timer = setTimeout(() => setText(''), 4000);
    return () => clearTimeout(timer);
  }, [text]);
  return [text, setText];
}

/** The image types the marketplace keeps (it recognises these by their first bytes too). */
export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/svg+xml'];
export const IMAGE_ACCEPT = IMAGE_TYPES.join(',');
export const LOGO_MAX_BYTES = 5 * 1024 * 1024;
export const SCREENSHOT_MAX_BYTES = 10 * 1024 * 1024;

/** One sentence when a chosen file cannot be uploaded as an image of at most `maxBytes`. */
export function checkImage(file: File, what: string, maxBytes: number): string | undefined {
  if (!IMAGE_TYPES.includes(file.type)) {
    return `The ${what} must be a PNG, JPEG, GIF, WebP or SVG image; "${file.name}" is ${file.type ? `of type ${file.type}` : 'of an unknown type'}.`;
  }
  if (file.size > maxBytes) return `The ${what} must be at most ${formatBytes(maxBytes)}; "${file.name}" is ${formatBytes(file.size)}.`;
  if (file.size === 0) return `"${file.name}" is empty.`;
  return undefined;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(bytes % (1024 * 1024) ? 1 : 0)} MB`;
}

/** An object URL for a local file (a preview before upload), revoked when it changes or the component goes. */
export function useObjectUrl(blob: Blob | undefined): string | undefined {
  const [url, setUrl] = useState<string>();
  useEffect(() => {
    if (!blob) {
      setUrl(undefined);
      return;
    }
    const created = URL.createObjectURL(blob);
    setUrl(created);
    return () => URL.revokeObjectURL(created);
  }, [blob]);
  return url;
}

/**
 * An image the marketplace serves, fetched through the SDK (with the token) into an object URL.
 * `missing` is true when the server has none (404); `version` refetches after an upload.
 */
export function useRemoteImage(load: (signal: AbortSignal) => Promise<FileResponse>, version: unknown): { url?: string; missing: boolean; loading: boolean } {
  const [state, setState] = useState<{ blob?: Blob; missing: boolean; loading: boolean }>({ missing: false, loading: true });
  useEffect(() => {
    const controller = new AbortController();
    setState((previous) => ({ ...previous, loading: true }));
    load(controller.signal)
      .then(async (file) => new Blob([(await file.bytes()) as BlobPart], { type: file.contentType ?? '' }))
      .then(
        (blob) => !controller.signal.aborted && setState({ blob, missing: false, loading: false }),
        () => !controller.signal.aborted && setState({ missing: true, loading: false }),
      );
    return () => controller.abort();
  }, [version]);
  const url = useObjectUrl(state.blob);
  return { url, missing: state.missing, loading: state.loading };
}

/** "—" for what is missing, so no page ever says "null" or "undefined". */
export function text(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '' || (typeof value === 'number' && Number.isNaN(value))) return '—';
  return String(value);
}

/** A build's state in a word, with a badge class that is never the only cue (the word is there). */
export function buildStatus(build: { published_at: string | null; validated_at: string | null }): { label: string; badge: string } {
  if (build.published_at) return { label: 'Published', badge: 'badge badge-success' };
  if (build.validated_at) return { label: 'Validated', badge: 'badge badge-warning' };
  return { label: 'Draft', badge: 'badge' };
}

/** Whole numbers from a text input: undefined when blank, NaN when not a whole number ≥ 0. */
export function wholeNumber(value: string): number | undefined {
  const trimmed = value.trim();
  if (!trimmed) return undefined;
  return /^\d{1,9}$/.test(trimmed) ? Number(trimmed) : Number.NaN;
}

/** For people signed in without products.create: a sentence, and no controls that would only fail. */
export function CannotPublish({ title }: { title: string }): JSX.Element {
  return (
    <>
      <PageTitle title={title} />
      <p class="notice">Your account cannot publish products. Ask an administrator of this marketplace for a role that may create products.</p>
    </>
  );
}

/** Public now, or not (yet): the marketplace shows a product once both times have passed. */
export function isPublished(product: Pick<Product, 'published_at' | 'visible_at'>, now = Date.now()): boolean {
  const past = (value: string | null) => value !== null && new Date(value).getTime() <= now;
  return past(product.published_at) && past(product.visible_at);
}

export function PublishedBadge({ product }: { product: Pick<Product, 'published_at' | 'visible_at'> }): JSX.Element {
  return isPublished(product) ? <span class="badge badge-success">Published</span> : <span class="badge">Not published</span>;
}

/** Where a publisher page sits: My products › (the product). */
export function Breadcrumbs({ children }: { children?: JSX.Element }): JSX.Element {
  return (
    <nav aria-label="Breadcrumbs" class="pub-breadcrumbs">
      <Link to="publish">My products</Link>
      {children && <> › {children}</>}
    </nav>
  );
}
