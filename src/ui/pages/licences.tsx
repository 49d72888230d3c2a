/**
 * Licences: the entitlements the signed-in user holds, redeeming a voucher code for one, and for
 * publishers (users who own products) the vouchers of their products and the entitlements
 * others hold to them.
 */
import type { JSX } from 'preact';
import { Empty, ErrorNote, Loading, PageTitle, useAsync } from '../components/index.js';
import { session } from '../session.js';
import { SignedInOnly } from '../components/index.js';
import { EntitlementTable } from './licences/entitlement-table.js';
import { loadLicences } from './licences/load.js';
import { PublisherVouchers } from './licences/publisher-vouchers.js';
import { RedeemVoucher } from './licences/redeem-voucher.js';

export default function LicencesPage(): JSX.Element {
  return (
    <SignedInOnly>
      <Licences userId={session.value.user?.id ?? ''} />
    </SignedInOnly>
  );
}

function Licences({ userId }: { userId: string }): JSX.Element {
  const data = useAsync((signal) => loadLicences(userId, signal), [userId]);
  return (
    <>
      <PageTitle title="Licences" />
      <RedeemVoucher onRedeemed={data.reload} />
      <section class="card" aria-labelledby="mine-heading">
        <h2 id="mine-heading">My entitlements</h2>
        {data.error !== undefined && <ErrorNote error={data.error} />}
        {!data.data && data.loading && <Loading label="Loading your licences…" />}
        {data.data &&
          (data.data.mine.length ? (
            <EntitlementTable rows={data.data.mine} labelledBy="mine-heading" />
          ) : (
            <Empty title="You hold no licences yet.">Redeem a voucher code from a publisher above; products without a licence need none.</Empty>
          ))}
      </section>
      {data.data?.publisher && (
        <>
          <PublisherVouchers data={data.data.publisher} onChange={data.reload} />
          <section class="card" aria-labelledby="theirs-heading">
            <h2 id="theirs-heading">Entitlements to my products</h2>
            {data.data.publisher.entitlements.length ? (
              <EntitlementTable rows={data.data.publisher.entitlements} labelledBy="theirs-heading" withHolder />
            ) : (
              <Empty title="Nobody holds a licence to your products yet.">A redeemed voucher becomes an entitlement listed here.</Empty>
            )}
          </section>
        </>
      )}
    </>
  );
}
