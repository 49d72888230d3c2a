// Publishes a product with one build through the SDK, step by step (hsp publish does this, and
// more, from a manifest). Safe to run again: what exists already is found by name and kept.
//   HSP_URL=http://127.0.0.1:3000 HSP_TOKEN=$(cat admin.token) node examples/sdk/publish-product.mjs "My SMART App" 1.0.0
import { Marketplace } from 'hsp';

const [name, version] = process.argv.slice(2);
if (!name || !version) {
  console.error('usage: node examples/sdk/publish-product.mjs <product name> <version>');
  process.exit(2);
}
const client = new Marketplace({ baseUrl: process.env.HSP_URL ?? 'http://127.0.0.1:3000', token: process.env.HSP_TOKEN });

const mine = (await client.session.whoami()).user;
const existing = (await client.products.list({ user_id: mine.id }).toArray()).find((p) => p.name === name);
const product = existing ?? (await client.products.create({ name, mime_type: 'application/smart.v1', description: `${name}, published from a script.` }));

const licenseUrl = 'https://www.apache.org/licenses/LICENSE-2.0';
const license = (await client.licenses.list().toArray()).find((l) => l.url === licenseUrl) ?? (await client.licenses.create({ name: 'Apache License 2.0', url: licenseUrl, expiry: 'indefinite' }));
const offers = await client.productLicenses.list(product.id).toArray();
if (!offers.some((o) => o.license_id === license.id)) await client.productLicenses.create(product.id, { license_id: license.id });

let build = (await client.builds.list(product.id).toArray()).find((b) => b.version === version);
if (!build) {
  build = await client.builds.create(product.id, { version, container_repository: 'example/my-smart-app', container_tag: version });
  // The first configuration is the one a platform agent deploys.
  const configuration = await client.configurations.create(product.id, build.id, { name: 'default' });
  await client.tasks.create(product.id, build.id, configuration.id, { name: 'web', minimum: 1, maximum: 2, memory: 256, ports: [8080] });
}

await client.products.publish(product.id);
console.log(`${product.name} ${build.version} is published: ${client.url(`/products/${product.id}`)}`);
