/**
 * `hsp demo`: the whole system on this machine in under a minute. Starts a marketplace in
 * memory, publishes a product, registers a platform, deploys an instance and watches the
 * events arrive, then undeploys it. Every step checks its effect through the API; any
 * failure stops the demo with a non-zero exit code.
 */
import type { Writable } from 'node:stream';
import type { InstanceEvent, PlatformEvent } from '../../index.js';

export interface DemoIO {
  stdout: Writable;
  stderr: Writable;
}

export interface DemoOptions {
  json?: boolean;
  /** Keep the marketplace running after the demo (prints how to reach it). */
  keep?: boolean;
}

interface Step {
  step: string;
  ok: boolean;
  ms: number;
  detail: string;
}

export async function demo(options: DemoOptions, io: DemoIO): Promise<{ steps: Step[]; close(): Promise<void> }> {
  const steps: Step[] = [];
  const started = performance.now();
  const report = (step: Step) => {
    steps.push(step);
    if (options.json) io.stdout.write(`${JSON.stringify(step)}\n`);
    else io.stdout.write(`${step.ok ? '✓' : '✗'} ${step.step.padEnd(34)} ${step.detail} (${Math.round(step.ms)} ms)\n`);
  };
  const run = async <T>(step: string, work: () => Promise<{ value: T; detail: string }>): Promise<T> => {
    const t = performance.now();
    try {
      const { value, detail } = await work();
      report({ step, ok: true, ms: performance.now() - t, detail });
      return value;
    } catch (error) {
      report({ step, ok: false, ms: performance.now() - t, detail: (error as Error)?.message ?? String(error) });
      throw error;
    }
  };

  const { createMarketplaceServer } = await import('../../server/index.js');
  const { Marketplace } = await import('../../index.js');
  const server = await run('Start a marketplace', async () => {
    const value = await createMarketplaceServer({ port: 0, memory: true });
    return { value, detail: `${value.url}, embedded database in memory` };
  });
  const close = async () => server.close();

  try {
    const admin = new Marketplace({ baseUrl: server.url, token: server.adminToken, dialect: 'r2' });
    const anonymous = new Marketplace({ baseUrl: server.url, dialect: 'r2' });

    const me = await run('Sign in as the administrator', async () => {
      const who = await admin.session.whoami();
      if (!who?.user) throw new Error('The administrator token was not accepted.');
      return { value: who.user, detail: `${who.user.name} (${who.user.id})` };
    });

    const product = await run('Publish a product', async () => {
      const created = await admin.products.create({
        name: 'Demo SMART App',
        description: 'A SMART on FHIR app, published by hsp demo.',
        mime_type: 'application/vnd.docker+smart',
        uri: 'https://example.org/demo-smart-app',
      });
      const apache = (await admin.licenses.list({ perPage: 100 }).toArray()).find((l) => l.name === 'Apache 2.0');
      if (apache) await admin.productLicenses.create(created.id, { license_id: apache.id });
      await admin.products.publish(created.id);
      const seen = await anonymous.products.retrieve(created.id);
      if (!seen.published_at) throw new Error('The product is not public after publishing.');
      return { value: created, detail: `"${seen.name}" is public${apache ? ', licensed Apache 2.0' : ''}` };
    });

    const build = await run('Add a build with its configuration', async () => {
      const created = await admin.builds.create(product.id, { version: '1.0.0', container_repository: 'example/demo-smart-app', container_tag: '1.0.0' });
      const configuration = await admin.configurations.create(product.id, created.id, { name: 'default' });
      await admin.tasks.create(product.id, created.id, configuration.id, { name: 'web', minimum: 1, maximum: 1, memory: 256, ports: [8080] });
      const tasks = await admin.tasks.list(product.id, created.id, configuration.id);
      if (tasks.items.length !== 1) throw new Error('The task was not stored.');
      return { value: created, detail: `${created.container_repository}:${created.container_tag}, 1 configuration, 1 task` };
    });

    const platform = await run('Register a platform', async () => {
      const created = await admin.platforms.create(me.id, { name: 'demo-host' });
      return { value: created, detail: `"${created.name}" (${created.id})` };
    });

    const events = await run('Listen to the platform', async () => {
      const stream = await admin.events.platform(platform.id);
      await new Promise<void>((resolve, reject) => {
        stream.once('subscribed', resolve);
        stream.once('error', reject);
      });
      return { value: stream, detail: 'subscribed over WebSocket' };
    });
    const iterator = events[Symbol.asyncIterator]();
    const expect = async (type: PlatformEvent['type']): Promise<InstanceEvent> => {
      const timeout = setTimeout(() => events.close(), 10_000);
      const { value, done } = await iterator.next();
      clearTimeout(timeout);
      if (done || value.type !== type) throw new Error(`Expected an ${type} event, got ${done ? 'nothing within 10 s' : value.type}.`);
      return value as InstanceEvent;
    };

    try {
      const instance = await run('Deploy the build on the platform', async () => {
        const created = await admin.instances.create(me.id, platform.id, { build_id: build.id });
        const event = await expect('instance.created');
        if (event.instanceId !== created.id) throw new Error('The event named another instance.');
        return { value: created, detail: `instance ${created.id}; event received` };
      });

      await run('Report the deployment back', async () => {
        const reported = await admin.instances.update(me.id, platform.id, instance.id, {
          deployed_at: new Date().toISOString(),
          launch_bindings: { url: 'http://127.0.0.1:8080' },
        });
        const event = await expect('instance.updated');
        if (!reported.deployed_at || !event.instance.deployed_at) throw new Error('deployed_at was not stored.');
        return { value: reported, detail: `deployed_at ${reported.deployed_at}; event received` };
      });

      await run('Undeploy', async () => {
        await admin.instances.delete(me.id, platform.id, instance.id);
        await expect('instance.deleted');
        const left = await admin.instances.list(me.id, platform.id);
        if (left.items.length) throw new Error('The instance is still there.');
        return { value: undefined, detail: 'instance removed; event received' };
      });
    } finally {
      events.close();
    }

    const total = performance.now() - started;
    if (options.json) io.stdout.write(`${JSON.stringify({ step: 'summary', ok: true, ms: total, detail: `${steps.length} steps` })}\n`);
    else io.stdout.write(`\nAll ${steps.length} steps verified through the API in ${(total / 1000).toFixed(1)} s.\n`);
    if (options.keep) {
      io.stderr.write(`The marketplace keeps running at ${server.url}; administrator token in ${server.adminTokenFile}. Ctrl+C stops it.\n`);
      return { steps, close };
    }
    await close();
    return { steps, close: async () => {} };
  } catch (error) {
    await close();
    throw error;
  }
}
