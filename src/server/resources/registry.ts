/** All declared resources, by name. */
import type { ResourceDefinition } from './definition.js';

export class ResourceRegistry {
  private readonly byName = new Map<string, ResourceDefinition>();

  constructor(definitions: readonly ResourceDefinition[]) {
    for (const definition of definitions) {
      if (this.byName.has(definition.name)) throw new Error(`Resource ${definition.name} is declared twice.`);
      this.byName.set(definition.name, definition);
    }
    for (const definition of definitions) {
      if (definition.parent) this.get(definition.parent.resource);
    }
  }

  get(name: string): ResourceDefinition {
    const definition = this.byName.get(name);
    if (!definition) throw new Error(`No resource named ${name}.`);
    return definition;
  }

  all(): ResourceDefinition[] {
    return [...this.byName.values()];
  }
}
