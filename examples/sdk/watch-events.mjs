// Prints one platform's events live, and keeps going across server restarts.
//   HSP_URL=http://127.0.0.1:3000 HSP_TOKEN=$(cat admin.token) node examples/sdk/watch-events.mjs <platform-id>
import { Marketplace } from 'hsp';

const [platformId] = process.argv.slice(2);
if (!platformId) {
  console.error('usage: node examples/sdk/watch-events.mjs <platform-id>');
  process.exit(2);
}
const client = new Marketplace({ baseUrl: process.env.HSP_URL ?? 'http://127.0.0.1:3000', token: process.env.HSP_TOKEN });
const controller = new AbortController();
process.once('SIGINT', () => controller.abort());

const events = await client.events.platform(platformId, { signal: controller.signal });
events.on('subscribed', () => console.error('subscribed: reconcile now (events while disconnected are not replayed)'));
events.on('disconnected', (reason) => console.error(`disconnected (${reason}); reconnecting…`));
for await (const event of events) {
  if (event.type === 'unknown') console.log(`? ${event.reason}`);
  else console.log(`${event.type} instance=${event.instanceId ?? '(not sent)'} build=${event.buildId}`);
}
