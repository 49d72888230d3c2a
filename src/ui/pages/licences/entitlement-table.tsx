/** A table of entitlements: what they are for, from when until when, uses left, and where they stand. */
import type { JSX } from 'preact';
import { Link } from '../../router.js';
import { shown } from '../admin/shared.js';
import type { EntitlementRow } from './load.js';
import { dateFormat, STANDING_LABEL } from './standing.js';

export function EntitlementTable({ rows, labelledBy, withHolder }: { rows: EntitlementRow[]; labelledBy: string; withHolder?: boolean }): JSX.Element {
  return (
    <div class="table-wrap">
      <table class="admin-table" aria-labelledby={labelledBy}>
        <thead>
          <tr>
            {withHolder && <th scope="col">Holder</th>}
            <th scope="col">Product</th>
            <th scope="col">Licence</th>
            <th scope="col">Valid from</th>
            <th scope="col">Valid until</th>
            <th scope="col">Uses left</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ entitlement, offer, terms, holder }) => {
            const label = STANDING_LABEL[terms.standing];
            return (
              <tr key={entitlement.id}>
                {withHolder && <td>{holder ?? <code title={entitlement.user_id ?? undefined}>{shortId(entitlement.user_id)}</code>}</td>}
                <th scope="row">{offer ? <Link to={`products/${offer.product.id}`}>{offer.product.name}</Link> : <span class="muted">A product you cannot see</span>}</th>
                <td>{offer?.license ? offer.license.name : <span class="muted">{shown(undefined)}</span>}</td>
                <td>
                  <time dateTime={terms.startsAt.toISOString()}>{dateFormat.format(terms.startsAt)}</time>
                </td>
                <td>
                  {terms.endsAt ? (
                    <time dateTime={terms.endsAt.toISOString()}>{dateFormat.format(terms.endsAt)}</time>
                  ) : terms.standing === 'unknown' ? (
                    shown(undefined)
                  ) : (
                    'No end'
                  )}
                </td>
                <td>{terms.usesLeft !== undefined ? String(terms.usesLeft) : terms.standing === 'unknown' ? shown(undefined) : 'Unlimited'}</td>
                <td>
                  <span class={label.badge}>{label.text}</span>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** The start of an id, enough to tell rows apart; the whole id is in the title. */
export function shortId(id: string | null | undefined): string {
  return id ? `${id.slice(0, 8)}…` : shown(undefined);
}
