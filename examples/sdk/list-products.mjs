// Lists the marketplace's published products with their newest build, fetching pages as it goes.
//   HSP_URL=http://127.0.0.1:3000 node examples/sdk/list-products.mjs [search words…]
import { Marketplace } from 'hsp';

const client = new Marketplace({ baseUrl: process.env.HSP_URL ?? 'http://127.0.0.1:3000', token: process.env.HSP_TOKEN });
const words = process.argv.slice(2).join(' ');

// `for await` walks every page; stop early and no further page is requested.
const products = words ? client.products.search({ text: words }) : client.products.list({ published: true, sort: 'name' });
let count = 0;
for await (const product of products) {
  const [newest] = (await client.builds.list(product.id, { sort: 'created_at', order: 'desc', perPage: 1 })).items;
  const image = newest?.container_repository ? ` ${newest.container_repository}:${newest.container_tag}` : '';
  console.log(`${product.name}\t${newest ? newest.version + image : '(no build)'}\t${product.id}`);
  count++;
}
console.error(`${count} product${count === 1 ? '' : 's'}`);
