/** `hsp tasks`: the processes of a build's configuration. */
import type { Task } from '../../index.js';
import { boundApi, type NounSpec } from '../resource-command.js';
import { buildParent, configurationParent, matching, productParent } from './lookups.js';

export const tasks: NounSpec<Task> = {
  name: 'tasks',
  singular: 'task',
  findByName: matching<Task>('name', (client, [productId, buildId, configurationId]) => client.tasks.list(productId!, buildId!, configurationId!)),
  group: 'Catalogue:',
  description: "A configuration's tasks: the processes it runs, with their counts and memory",
  parents: [productParent, buildParent, configurationParent],
  index: 'whole',
  columns: [
    { header: 'id', value: (t) => t.id, kind: 'id' },
    { header: 'name', value: (t) => t.name },
    { header: 'minimum', value: (t) => t.minimum },
    { header: 'maximum', value: (t) => t.maximum },
    { header: 'memory (MB)', value: (t) => t.memory },
  ],
  api: (client) => boundApi(client.tasks, { listTakesNoParams: true }),
  fields: [
    { name: 'name', description: 'unique per configuration, e.g. web', required: true },
    { name: 'minimum', type: 'int', description: 'fewest instances to run' },
    { name: 'maximum', type: 'int', description: 'most instances to run' },
    { name: 'memory', type: 'int', description: 'memory per instance, in MB' },
  ],
  examples: {
    list: ['hsp tasks list --product "My SMART App" --build 1.2.0 --configuration default'],
    show: ['hsp tasks show web --product "My SMART App" --build 1.2.0 --configuration default'],
    create: ['hsp tasks create --product "My SMART App" --build 1.2.0 --configuration default --name web --minimum 1 --maximum 3 --memory 512'],
    update: ['hsp tasks update web --product "My SMART App" --build 1.2.0 --configuration default --memory 1024'],
    delete: ['hsp tasks delete web --product "My SMART App" --build 1.2.0 --configuration default --yes'],
  },
};
