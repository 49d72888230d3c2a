/**
 * `hsp instances`: builds deployed on a platform. `deploy` creates one (the platform's agent
 * then starts it) and `undeploy` deletes it.
 */
import { Command } from 'commander';
import type { Instance } from '../../index.js';
import { keyValues, repeatable } from '../key-value.js';
import { boundApi, resolveParents, withExamples, withParentOptions, type NounSpec, type Runner } from '../resource-command.js';
import { buildParent, platformParent, productParent, userParent } from './lookups.js';

const where = [userParent, platformParent];
const what = [productParent, buildParent];

export const instances: NounSpec<Instance> = {
  name: 'instances',
  singular: 'instance',
  group: 'Deployment:',
  description: 'Instances: builds deployed on a platform',
  parents: where,
  verbs: ['list', 'show', 'delete'],
  rename: { delete: { name: 'undeploy', description: "Undeploy an instance: delete it, and the platform's agent stops it", done: 'Undeployed' } },
  columns: [
    { header: 'id', value: (i) => i.id, kind: 'id' },
    { header: 'build id', value: (i) => i.build_id, kind: 'id' },
    { header: 'launch bindings', value: (i) => i.launch_bindings },
    { header: 'deployed', value: (i) => i.deployed_at, kind: 'time' },
    { header: 'created', value: (i) => i.created_at, kind: 'time' },
  ],
  api: (client) => boundApi(client.instances),
  examples: {
    list: ['hsp instances list --platform lab'],
    show: ['hsp instances show 4f7c9a2e-0d3b-4c1e-9a57-1b2c3d4e5f60 --platform lab'],
    delete: ['hsp instances undeploy 4f7c9a2e-0d3b-4c1e-9a57-1b2c3d4e5f60 --platform lab --yes'],
  },
  extend: deployCommand,
};

function deployCommand(noun: Command, run: Runner): void {
  const deploy = withParentOptions(new Command('deploy').description("Deploy a build on a platform: create an instance for the platform's agent to start"), [...where, ...what]).option(
    '--set <NAME=value>',
    "an environment variable for the build's tasks (repeat for more), kept as launch_bindings.environment for the agent",
    repeatable,
    [] as string[],
  );
  deploy.action(
    run(async (ctx, opts) => {
      // The platform agent's contract: the operator's input is `launch_bindings.environment`.
      const environment = keyValues(opts.set as string[], '--set');
      const launchBindings = Object.keys(environment).length ? { environment } : {};
      const client = await ctx.signedInClient();
      const [userId, platformId] = await resolveParents(where, client, opts, ctx);
      const [, buildId] = await resolveParents(what, client, opts, ctx);
      const instance = await client.instances.create(userId!, platformId!, { build_id: buildId!, launch_bindings: launchBindings });
      if (ctx.output.machine) await ctx.output.data(instance);
      else {
        ctx.output.success(`Deployed build ${String(opts.build)} of ${String(opts.product)} on platform ${String(opts.platform)}`);
        await ctx.output.record(instance, instances.columns);
      }
    }),
  );
  noun.addCommand(
    withExamples(deploy, [
      'hsp instances deploy --platform lab --product "My SMART App" --build 1.2.0',
      'hsp instances deploy --platform lab --product "My SMART App" --build 1.2.0 --set FHIR_BASE_URL=https://fhir.example.org --set PORT=8080',
    ]),
  );
}
