/**
 * Redeeming a voucher code for an entitlement. The marketplace says why a code does not work
 * (unknown, already redeemed, expired): its sentence is shown as it is.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../../api.js';
import { Field } from '../../components/index.js';
import { ActionFeedback, useAction, valueOf } from '../admin/shared.js';

export function RedeemVoucher({ onRedeemed }: { onRedeemed: () => void }): JSX.Element {
  const [code, setCode] = useState('');
  const action = useAction();
  const submit = async (event: Event) => {
    event.preventDefault();
    const trimmed = code.trim();
    const ok = await action.run(async () => {
      if (!trimmed) throw new Error('Enter the voucher code you were given.');
      await api().vouchers.redeem(trimmed);
    }, 'Voucher redeemed: the licence is now among your entitlements below.');
    if (ok) {
      setCode('');
      onRedeemed();
    }
  };
  return (
    <section class="card" aria-labelledby="redeem-heading">
      <h2 id="redeem-heading">Redeem a voucher</h2>
      <form class="redeem-form" onSubmit={(event) => void submit(event)}>
        <Field label="Voucher code" hint="The code a publisher gave you, e.g. after a purchase.">
          <input type="text" autocomplete="off" spellcheck={false} value={code} onInput={(event) => setCode(valueOf(event))} />
        </Field>
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" disabled={action.busy}>
            {action.busy ? 'Redeeming…' : 'Redeem'}
          </button>
        </div>
      </form>
      <ActionFeedback action={action} />
    </section>
  );
}
