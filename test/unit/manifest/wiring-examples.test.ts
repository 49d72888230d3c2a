/**
 * examples/fhir-server and examples/cds-hooks are the wiring pair of the examples: the CDS Hooks
 * service depends on the interface the FHIR server exposes, and its mappings name only what an
 * agent can fill in from that server (its exposure's parameters, url, host, port) into a
 * variable its task declares.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadManifest } from '../../../src/manifest/load.js';
import type { InterfaceSpec } from '../../../src/manifest/model.js';

const examples = fileURLToPath(new URL('../../../examples/', import.meta.url));
const BUILT_INS = ['url', 'host', 'port'];

describe('the wiring examples', () => {
  it("the CDS Hooks service's FHIR R4 dependency maps onto what the FHIR server's exposure offers", async () => {
    const { manifest: server } = await loadManifest(`${examples}fhir-server/hsp.yaml`, { strict: true });
    const { manifest: service } = await loadManifest(`${examples}cds-hooks/hsp.yaml`, { strict: true });
    const [exposure] = server.build.exposures;
    const [dependency] = service.build.dependencies;
    expect((dependency!.interface as InterfaceSpec).uri).toBe((exposure!.interface as InterfaceSpec).uri);

    const offered = new Set([...(exposure!.parameters ?? []).map((p) => p.name), ...BUILT_INS]);
    const declared = new Set(service.build.configurations.flatMap((c) => c.tasks.flatMap((t) => t.environment.map((v) => v.key))));
    for (const [variable, source] of Object.entries(dependency!.mappings ?? {})) {
      expect(declared).toContain(variable);
      const names = source.match(/\{([^}]+)\}/g)?.map((placeholder) => placeholder.slice(1, -1)) ?? [source];
      for (const name of names) expect(offered).toContain(name);
    }
    // The server's parameter is one of its own variables, with a default the template can use.
    const variables = server.build.configurations[0]!.tasks[0]!.environment;
    expect(variables.find((v) => v.key === 'FHIR_BASE_PATH')).toMatchObject({ default: '/fhir' });
    expect(server.build.configurations[0]!.tasks[0]!.ports).toEqual([8080]);
  });
});
