/**
 * What one build is: the interfaces it exposes and needs, and how it runs (its configurations
 * and their tasks, in words). Loaded when the build is shown: a handful of small requests for
 * that build only.
 */
import type { JSX } from 'preact';
import type { Build } from '../../../sdk/types/builds.js';
import type { Configuration } from '../../../sdk/types/configurations.js';
import type { Dependency } from '../../../sdk/types/dependencies.js';
import type { Exposure } from '../../../sdk/types/exposures.js';
import type { Interface } from '../../../sdk/types/interfaces.js';
import type { Task, TaskEnvironmentVariable } from '../../../sdk/types/tasks.js';
import { api } from '../../api.js';
import { ErrorNote, Loading, useAsync } from '../../components/index.js';
import { describeTask } from './task-words.js';

/** More configurations than anyone declares; bounds the requests for their tasks. */
const MAX_CONFIGURATIONS = 20;

interface Details {
  configurations: { configuration: Configuration; tasks: Task[] }[];
  exposures: Exposure[];
  dependencies: Dependency[];
}

export function BuildDetails({ build, interfaces }: { build: Build; interfaces: Map<string, Interface> | undefined }): JSX.Element {
  const details = useAsync<Details>(
    async (signal) => {
      const productId = build.product_id;
      const [configurations, exposures, dependencies] = await Promise.all([
        api().configurations.list(productId, build.id, { signal }),
        api().exposures.list(productId, build.id, undefined, { signal }),
        api().dependencies.list(productId, build.id, undefined, { signal }),
      ]);
      const shown = configurations.items.slice(0, MAX_CONFIGURATIONS);
      const tasks = await Promise.all(shown.map((configuration) => api().tasks.list(productId, build.id, configuration.id, { signal })));
      return {
        configurations: shown.map((configuration, i) => ({ configuration, tasks: tasks[i]?.items ?? [] })),
        exposures: exposures.items,
        dependencies: dependencies.items,
      };
    },
    [build.id],
  );
  if (details.error !== undefined) return <ErrorNote error={details.error} />;
  if (!details.data) return <Loading label="Loading what this build runs…" />;
  const { configurations, exposures, dependencies } = details.data;
  const name = (id: string) => {
    const face = interfaces?.get(id);
    if (!face) return 'An interface this marketplace does not list';
    return face.version ? `${face.name} ${face.version}` : face.name;
  };
  return (
    <div class="build-details">
      <div class="build-interfaces">
        <div>
          <h4>Exposes</h4>
          {exposures.length ? (
            <ul>
              {exposures.map((exposure) => (
                <li key={exposure.id}>
                  <InterfaceName text={name(exposure.interface_id)} uri={interfaces?.get(exposure.interface_id)?.uri} />
                </li>
              ))}
            </ul>
          ) : (
            <p class="muted">No interfaces declared.</p>
          )}
        </div>
        <div>
          <h4>Needs</h4>
          {dependencies.length ? (
            <ul>
              {dependencies.map((dependency) => (
                <li key={dependency.id}>
                  <InterfaceName text={name(dependency.interface_id)} uri={interfaces?.get(dependency.interface_id)?.uri} />
                  {dependency.required === false && <span class="muted"> (optional)</span>}
                </li>
              ))}
            </ul>
          ) : (
            <p class="muted">Nothing from other products.</p>
          )}
        </div>
      </div>
      <h4>How it runs</h4>
      {configurations.length === 0 ? (
        <p class="muted">No configurations declared: the platform's agent decides how to run the image.</p>
      ) : (
        configurations.map(({ configuration, tasks }) => (
          <div class="build-configuration" key={configuration.id}>
            <p class="build-configuration-name">
              Configuration <strong>{configuration.name || 'without a name'}</strong>
              {tasks.length === 0 && <span class="muted">: no tasks.</span>}
            </p>
            {tasks.length > 0 && (
              <ul class="build-tasks">
                {tasks.map((task) => (
                  <li key={task.id}>
                    <strong>{task.label || task.name}</strong>: {describeTask(task, build)}
                    <Settings variables={task.environment} />
                  </li>
                ))}
              </ul>
            )}
          </div>
        ))
      )}
    </div>
  );
}

function InterfaceName({ text, uri }: { text: string; uri: string | undefined }): JSX.Element {
  return (
    <>
      {text}
      {uri && (
        <>
          {' '}
          <span class="muted interface-uri">{uri}</span>
        </>
      )}
    </>
  );
}

/** The environment variables a task reads: what a deployer may set. */
function Settings({ variables }: { variables: TaskEnvironmentVariable[] | undefined }): JSX.Element | null {
  const list = Array.isArray(variables) ? variables.filter((variable) => variable && typeof variable.key === 'string') : [];
  if (!list.length) return null;
  return (
    <ul class="build-settings" aria-label="Settings">
      {list.map((variable) => (
        <li key={variable.key}>
          <code>{variable.key}</code>
          {variable.required ? ' (required)' : variable.default !== undefined && variable.default !== '' ? ` (default “${variable.default}”)` : ' (optional)'}
          {variable.description ? `: ${variable.description}` : ''}
        </li>
      ))}
    </ul>
  );
}
