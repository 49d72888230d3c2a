/** `publish/new`: a product's fields; once created, its page takes the logo, screenshots, licences and builds. */
import type { JSX } from 'preact';
import { api } from '../../api.js';
import { PageTitle } from '../../components/index.js';
import { navigate } from '../../router.js';
import { can } from '../../session.js';
import { ProductForm, toParams, valuesOf } from './product-form.js';
import { Breadcrumbs, CannotPublish } from './shared.js';
import { SignedInOnly } from '../../components/index.js';

export default function NewProductPage(): JSX.Element {
  return <SignedInOnly>{can('products', 'create') ? <NewProduct /> : <CannotPublish title="New product" />}</SignedInOnly>;
}

function NewProduct(): JSX.Element {
  return (
    <div class="pub-narrow">
      <Breadcrumbs />
      <PageTitle title="New product" />
      <p class="muted">The product stays private until it is published. Its logo, screenshots, licences and builds come next, on its page.</p>
      <ProductForm
        initial={valuesOf()}
        submitLabel="Create product"
        onSubmit={async (values) => {
          // The owner is the caller: the marketplace fills it in.
          const product = await api().products.create(toParams(values));
          navigate(`publish/products/${product.id}`, { replace: true });
        }}
      />
    </div>
  );
}
