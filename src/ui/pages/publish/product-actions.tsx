/**
 * Publish / Unpublish (only for roles with products.publish: absent otherwise, since owners
 * cannot publish their own products) and Delete with a confirmation.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { Product } from '../../../sdk/types/products.js';
import { api } from '../../api.js';
import { Dialog, ErrorNote } from '../../components/index.js';
import { navigate } from '../../router.js';
import { can } from '../../session.js';
import { isPublished } from './shared.js';

export interface ProductActionsProps {
  product: Product;
  onChange: (product: Product) => void;
  /** Announces the outcome ("Published") in the page's live region. */
  onStatus: (text: string) => void;
  onError: (error: unknown) => void;
}

export function ProductActions({ product, onChange, onStatus, onError }: ProductActionsProps): JSX.Element {
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const published = isPublished(product);
  const toggle = async () => {
    setBusy(true);
    onError(undefined);
    try {
      const changed = published ? await api().products.unpublish(product.id) : await api().products.publish(product.id);
      onChange(changed);
      onStatus(published ? 'Unpublished: the product is no longer in the catalogue' : 'Published: the product is in the catalogue');
    } catch (failure) {
      onError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      {can('products', 'publish') && (
        <button type="button" class={published ? 'btn' : 'btn btn-primary'} disabled={busy} onClick={() => void toggle()}>
          {published ? 'Unpublish' : 'Publish'}
        </button>
      )}
      {can('products', 'delete') && (
        <button type="button" class="btn btn-danger" onClick={() => setConfirming(true)}>
          Delete product
        </button>
      )}
      <DeleteDialog product={product} open={confirming} onClose={() => setConfirming(false)} />
    </>
  );
}

function DeleteDialog({ product, open, onClose }: { product: Product; open: boolean; onClose: () => void }): JSX.Element {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const remove = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api().products.delete(product.id);
      onClose();
      navigate('publish', { replace: true });
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={open} title={`Delete ${product.name}?`} onClose={onClose}>
      <p>
        The product, its builds, screenshots and licence offers are deleted for good. Platforms that run it keep their instances, but cannot deploy it again.
      </p>
      {error !== undefined && <ErrorNote error={error} />}
      <div class="form-actions">
        <button type="button" class="btn btn-danger" disabled={busy} onClick={() => void remove()}>
          {busy ? 'Deleting…' : 'Delete'}
        </button>
        <button type="button" class="btn" onClick={onClose}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}
