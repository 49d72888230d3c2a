/**
 * `hsp instances`: builds deployed on a platform. `deploy` creates one (the platform's agent
 * then starts it) and `undeploy` deletes it.
 *
 * Tables show `launch_bindings` as two short summaries: the names (never the values, which may
 * be secrets) of the operator's environment variables, and the state the agent last reported
 * (a failure's sentence cut to fit; `show` has it whole). The whole object is in --json and
 * -o yaml.
 */
import { Command } from 'commander';
import type { Instance } from '../../index.js';
import { keyValues, repeatable } from '../key-value.js';
import { boundApi, resolveParents, withExamples, withParentOptions, type NounSpec, type Runner } from '../resource-command.js';
import { buildParent, platformParent, productParent, userParent } from './lookups.js';
import { parseWireFlags, resolveWiring } from './wiring.js';

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
    { header: 'environment', value: (i) => environmentNames(i) },
    { header: 'deployment', value: (i) => deploymentState(i) },
    { header: 'deployed', value: (i) => i.deployed_at, kind: 'time' },
    { header: 'created', value: (i) => i.created_at, kind: 'time' },
  ],
  // One instance, for people: the same summaries (values may be secrets), a failure's whole sentence.
  detail: [
    { header: 'id', value: (i) => i.id, kind: 'id' },
    { header: 'build id', value: (i) => i.build_id, kind: 'id' },
    { header: 'product id', value: (i) => i.product_id, kind: 'id' },
    { header: 'environment', value: (i) => environmentNames(i) },
    { header: 'wiring', value: (i) => wiringSummary(i) },
    { header: 'deployment', value: (i) => deploymentState(i, Infinity) },
    { header: 'deployed', value: (i) => i.deployed_at, kind: 'time' },
    { header: 'created', value: (i) => i.created_at, kind: 'time' },
    { header: 'updated', value: (i) => i.updated_at, kind: 'time' },
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
  const deploy = withParentOptions(new Command('deploy').description("Deploy a build on a platform: create an instance for the platform's agent to start"), [...where, ...what])
    .option('--set <NAME=value>', "an environment variable for the build's tasks (repeat for more), kept as launch_bindings.environment for the agent", repeatable, [] as string[])
    .option(
      '--wire <interface=instance>',
      "the instance on this platform that provides one of the build's dependencies: the interface's name, URI or id, and the instance's id (repeat for more), kept as launch_bindings.wiring; without it the agent picks the oldest deployed instance that exposes the interface",
      repeatable,
      [] as string[],
    );
  deploy.action(
    run(async (ctx, opts) => {
      // The platform agent's contract: the operator's input is `launch_bindings.environment`,
      // and the providers they pin are `launch_bindings.wiring` (interface id → instance id).
      const environment = keyValues(opts.set as string[], '--set');
      const wires = parseWireFlags(opts.wire as string[]);
      const client = await ctx.signedInClient();
      const [userId, platformId] = await resolveParents(where, client, opts, ctx);
      const [productId, buildId] = await resolveParents(what, client, opts, ctx);
      const build = `${String(opts.build)} of "${String(opts.product)}"`;
      const wiring = await resolveWiring(wires, { client, userId: userId!, platformId: platformId!, platform: String(opts.platform), productId: productId!, buildId: buildId!, build });
      const launchBindings = { ...(Object.keys(environment).length ? { environment } : {}), ...(Object.keys(wiring).length ? { wiring } : {}) };
      const instance = await client.instances.create(userId!, platformId!, { build_id: buildId!, launch_bindings: launchBindings });
      if (ctx.output.machine) await ctx.output.data(instance);
      else {
        ctx.output.success(`Deployed build ${String(opts.build)} of ${String(opts.product)} on platform ${String(opts.platform)}`);
        await ctx.output.record(instance, instances.detail);
      }
    }),
  );
  noun.addCommand(
    withExamples(deploy, [
      'hsp instances deploy --platform lab --product "My SMART App" --build 1.2.0',
      'hsp instances deploy --platform lab --product "My SMART App" --build 1.2.0 --set FHIR_BASE_URL=https://fhir.example.org --set PORT=8080',
      'hsp instances deploy --platform lab --product "Sepsis Early Warning" --build 2.1.0 --wire "FHIR R4=4f7c9a2e-0d3b-4c1e-9a57-1b2c3d4e5f60"',
    ]),
  );
}

/** Past this, the names column says "+N more" rather than widening the table. */
const NAMES_WIDTH = 40;

/** `FHIR_BASE_URL, PORT`, or `CLIENT_ID, CLIENT_SCOPES +3 more`: the names in `launch_bindings.environment`. */
export function environmentNames(instance: Instance): string {
  const environment = instance.launch_bindings?.environment;
  if (!environment || typeof environment !== 'object' || Array.isArray(environment)) return '';
  // Sorted: the server may keep the keys in any order (PostgreSQL's jsonb sorts them by length).
  const names = Object.keys(environment).sort();
  const shown: string[] = [];
  for (const [i, name] of names.entries()) {
    const left = names.length - i - 1;
    // The first name always shows, however long; later ones while they fit with the "+N more".
    if (shown.length && `${[...shown, name].join(', ')}${left ? ` +${left} more` : ''}`.length > NAMES_WIDTH) break;
    shown.push(name);
  }
  const more = names.length - shown.length;
  return more ? `${shown.join(', ')} +${more} more` : shown.join(', ');
}

/** Past this, a failure's sentence is cut in tables: they stay readable, and `show` has it whole. */
const ERROR_WIDTH = 48;

/**
 * What the agent last said about the instance (orchestrator.ts and report.ts give the
 * contract): `deployed: docker, 1 workload` once its report landed; `failed: <its sentence>`
 * when it could not deploy (a refused licence, a required dependency no instance provides, an
 * image that cannot be pulled…); `pending` while no agent has acted on it yet.
 */
export function deploymentState(instance: Instance, width = ERROR_WIDTH): string {
  const raw = instance.launch_bindings?.deployment;
  const report = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as { orchestrator?: unknown; workloads?: unknown; error?: unknown }) : undefined;
  if (!instance.deployed_at) {
    if (typeof report?.error !== 'string') return 'pending';
    return `failed: ${report.error.length > width ? `${report.error.slice(0, width - 1)}…` : report.error}`;
  }
  const parts = [
    typeof report?.orchestrator === 'string' ? report.orchestrator : undefined,
    Array.isArray(report?.workloads) ? plural(report.workloads.length, 'workload') : undefined,
  ].filter(Boolean);
  return parts.length ? `deployed: ${parts.join(', ')}` : 'deployed';
}

/** `<interface id> → <instance id>` for each pinned provider (`launch_bindings.wiring`). */
export function wiringSummary(instance: Instance): string {
  const wiring = instance.launch_bindings?.wiring;
  if (!wiring || typeof wiring !== 'object' || Array.isArray(wiring)) return '';
  return Object.entries(wiring)
    .map(([interfaceId, instanceId]) => `${interfaceId} → ${String(instanceId)}`)
    .join(', ');
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
