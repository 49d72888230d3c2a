/** The licences a product is offered under, with their terms (a link to the text) and limits. */
import type { JSX } from 'preact';
import type { Product } from '../../../sdk/types/products.js';
import { api } from '../../api.js';
import { Empty, ErrorNote, Loading, useAsync } from '../../components/index.js';
import { paragraphs } from '../catalogue/words.js';
import { licenceTerms, safeLink } from '../../licence-terms.js';

/** More licences than any product offers; bounds the requests. */
const MAX_LICENCES = 20;

export function Licences({ product }: { product: Product }): JSX.Element {
  const ids = [...new Set((product.product_licenses ?? []).map((offer) => offer.license_id))].slice(0, MAX_LICENCES);
  const licences = useAsync((signal) => Promise.all(ids.map((id) => api().licenses.retrieve(id, { signal }))), [ids.join()]);
  return (
    <section aria-labelledby="licences-heading" class="product-section">
      <h2 id="licences-heading">Licences</h2>
      {ids.length === 0 && <Empty title="No licence listed.">Ask the publisher under which terms you may use it.</Empty>}
      {ids.length > 0 && licences.error !== undefined && <ErrorNote error={licences.error} />}
      {ids.length > 0 && !licences.data && !licences.error && <Loading label="Loading licences…" />}
      {licences.data && ids.length > 0 && (
        <ul class="licence-list">
          {licences.data.map((licence) => (
            <li key={licence.id} class="card">
              <h3>{licence.name}</h3>
              <p class="licence-limits">{licenceTerms(licence)}</p>
              {paragraphs(licence.description ?? licence.terms).map((text, i) => (
                <p key={i}>{text}</p>
              ))}
              {safeLink(licence.url) && (
                <p>
                  <a href={safeLink(licence.url)} rel="noopener noreferrer" target="_blank">
                    Read the terms of {licence.name}
                  </a>
                </p>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
