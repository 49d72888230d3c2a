/**
 * A publisher's vouchers: codes for one offer (a licence of one of their products) to hand to a
 * customer, who redeems it on this page for an entitlement. Listed with whether and when each
 * was redeemed; an unredeemed one can be withdrawn.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { Voucher } from '../../../sdk/types/vouchers.js';
import { api } from '../../api.js';
import { Empty, Field, Time } from '../../components/index.js';
import { Link } from '../../router.js';
import { ActionFeedback, ConfirmButton, useAction, valueOf } from '../admin/shared.js';
import type { Offer } from './offers.js';
import type { PublisherData } from './load.js';

export function PublisherVouchers({ data, onChange }: { data: PublisherData; onChange: () => void }): JSX.Element {
  const offers = new Map(data.offers.map((offer) => [offer.id, offer]));
  const action = useAction();
  return (
    <section class="card" aria-labelledby="vouchers-heading">
      <h2 id="vouchers-heading">Vouchers for my products</h2>
      {data.offers.length === 0 ? (
        <Empty title="Your products are not offered under any licence yet.">
          Add a licence to a product on its <Link to={`publish/products/${data.products[0]!.id}`}>publishing page</Link>, then create vouchers for it here.
        </Empty>
      ) : (
        <NewVoucher offers={data.offers} onCreated={onChange} />
      )}
      <h3 id="voucher-list-heading">Issued vouchers</h3>
      {data.vouchers.length === 0 ? (
        <Empty title="No vouchers yet.">A voucher you create appears here with its code to copy and send.</Empty>
      ) : (
        <div class="table-wrap">
          <table class="admin-table" aria-labelledby="voucher-list-heading">
            <thead>
              <tr>
                <th scope="col">Code</th>
                <th scope="col">Product</th>
                <th scope="col">Licence</th>
                <th scope="col">Expires</th>
                <th scope="col">Redeemed</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.vouchers.map((voucher) => (
                <VoucherRow key={voucher.id} voucher={voucher} offer={offers.get(voucher.product_license_id ?? '')} action={action} onChange={onChange} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ActionFeedback action={action} />
    </section>
  );
}

function VoucherRow({ voucher, offer, action, onChange }: { voucher: Voucher; offer: Offer | undefined; action: ReturnType<typeof useAction>; onChange: () => void }): JSX.Element {
  const code = voucher.code ?? '';
  const copy = () =>
    void action.run(async () => {
      try {
        await navigator.clipboard.writeText(code);
      } catch {
        throw new Error('The browser did not allow copying: select the code and copy it yourself.');
      }
    }, `Code ${code} copied.`);
  return (
    <tr>
      <th scope="row">
        <span class="row voucher-code">
          <code>{code || '—'}</code>
          {code && (
            <button type="button" class="btn btn-quiet" aria-label={`Copy code ${code}`} onClick={copy}>
              Copy
            </button>
          )}
        </span>
      </th>
      <td>{offer?.product.name ?? '—'}</td>
      <td>{offer?.license?.name ?? '—'}</td>
      <td>{voucher.expires_at ? <Time value={voucher.expires_at} /> : 'Never'}</td>
      <td>
        {voucher.redeemed_at ? (
          <span class="badge badge-success">
            Redeemed <Time value={voucher.redeemed_at} />
          </span>
        ) : (
          <span class="badge">Not redeemed</span>
        )}
      </td>
      <td>
        {!voucher.redeemed_at && (
          <ConfirmButton
            label="Delete"
            question={`Delete voucher ${code}?`}
            busy={action.busy}
            onConfirm={() => void action.run(() => api().vouchers.delete(voucher.id), `Voucher ${code} deleted.`).then((ok) => ok && onChange())}
          />
        )}
      </td>
    </tr>
  );
}

function NewVoucher({ offers, onCreated }: { offers: Offer[]; onCreated: () => void }): JSX.Element {
  const [offerId, setOfferId] = useState(offers[0]!.id);
  const [code, setCode] = useState(randomCode);
  const [expires, setExpires] = useState('');
  const [expiryError, setExpiryError] = useState<string>();
  const action = useAction();
  const submit = async (event: Event) => {
    event.preventDefault();
    // The end of the chosen day where the publisher is: "expires on 3 March" includes 3 March.
    const expiresAt = expires ? new Date(`${expires}T23:59:59`) : undefined;
    if (expiresAt && (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= Date.now())) {
      setExpiryError('Expires on must be today or a later day.');
      return;
    }
    setExpiryError(undefined);
    const ok = await action.run(
      () => api().vouchers.create({ product_license_id: offerId, code: code.trim(), issued_at: new Date().toISOString(), expires_at: expiresAt?.toISOString() ?? null }),
      `Voucher ${code.trim()} created.`,
    );
    if (ok) {
      setCode(randomCode());
      setExpires('');
      onCreated();
    }
  };
  return (
    <form class="voucher-form" onSubmit={(event) => void submit(event)} aria-labelledby="new-voucher-heading">
      <h3 id="new-voucher-heading">New voucher</h3>
      <div class="voucher-fields">
        <Field label="Product and licence">
          <select value={offerId} onChange={(event) => setOfferId(valueOf(event))}>
            {offers.map((offer) => (
              <option key={offer.id} value={offer.id}>
                {offer.product.name} — {offer.license?.name ?? 'a licence no longer listed'}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Code" hint="Made up for you; change it if you like. Whoever holds it can redeem it once.">
          <input type="text" autocomplete="off" spellcheck={false} required value={code} onInput={(event) => setCode(valueOf(event))} />
        </Field>
        <Field label="Expires on" hint="Optional: after this day the code can no longer be redeemed." error={expiryError}>
          <input type="date" value={expires} onInput={(event) => setExpires(valueOf(event))} />
        </Field>
      </div>
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled={action.busy}>
          {action.busy ? 'Creating…' : 'Create voucher'}
        </button>
      </div>
      <ActionFeedback action={action} />
    </form>
  );
}

/** Sixteen letters and digits in groups of four, without look-alikes (0/O, 1/I/L). */
function randomCode(): string {
  const alphabet = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const chars = Array.from(bytes, (byte) => alphabet[byte % alphabet.length]).join('');
  return chars.match(/.{4}/g)!.join('-');
}
