/**
 * The endpoints an exec hook reports: autowiring builds other instances' environments from
 * them, so each is checked (task, port, host, url) and an invalid one is left out with a log
 * line, without failing a deploy that did happen.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toDeployment } from '../../../src/agent/deployment.js';
import { endpointProblem, ExecOrchestrator } from '../../../src/agent/orchestrators/exec.js';
import { records } from './orchestrator-fixtures.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hsp-exec-endpoints-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A hook that prints `report` as its deploy output. */
function hookPrinting(report: unknown) {
  const file = join(dir, `hook-${randomUUID()}.mjs`);
  writeFileSync(file, `process.stdin.resume(); process.stdin.on('end', () => process.stdout.write(${JSON.stringify(JSON.stringify(report))}));\n`);
  const logs: { event: string; fields?: Record<string, unknown> }[] = [];
  const orchestrator = new ExecOrchestrator({ argv: [process.execPath, file], platformId: randomUUID(), log: (event, fields) => logs.push({ event, ...(fields ? { fields } : {}) }), env: { PATH: process.env.PATH } });
  return { orchestrator, logs };
}

const valid = [
  { task: 'web', port: 8080, host: 'fhir.platform.internal', url: 'http://fhir.platform.internal:8080' },
  { task: 'web', port: 443, host: '10.0.0.7', url: 'https://fhir.example.org/r4' },
  { task: 'admin', port: 9000, host: 'fd00::7', url: 'http://[fd00::7]:9000' },
];

describe.concurrent('exec orchestrator: reported endpoints', () => {
  it('keeps the valid endpoints, leaves out each invalid one with a log line saying why, and still deploys', async () => {
    const { orchestrator, logs } = hookPrinting({
      workloads: [{ unit: 'fhir.service' }],
      endpoints: [
        valid[0],
        { task: '', port: 80, host: 'a', url: 'http://a:80' },
        { task: 'web', port: 0, host: 'a', url: 'http://a' },
        { task: 'web', port: 65_536, host: 'a', url: 'http://a' },
        { task: 'web', port: '80', host: 'a', url: 'http://a' },
        { task: 'web', port: 80, host: 'not a host', url: 'http://a' },
        { task: 'web', port: 80, host: '-bad-.example', url: 'http://a' },
        { task: 'web', port: 80, host: 'a', url: 'ftp://a/' },
        { task: 'web', port: 80, host: 'a', url: 'not a url' },
        { task: 'web', port: 80, host: 'a', url: `http://a/${'x'.repeat(2_000)}` },
        { task: 'web', port: 80, host: 'a', url: 'http://user:secret@a/' },
        'http://a',
        valid[1],
        { ...valid[2], extra: 'dropped' },
      ],
    });
    const deployment = toDeployment(records());
    const report = await orchestrator.deploy(deployment);
    expect(report.endpoints).toEqual(valid);
    expect(report.workloads).toEqual([{ unit: 'fhir.service' }]);
    const dropped = logs.filter((l) => l.event === 'exec.endpoint_ignored').map((l) => [l.fields?.index, l.fields?.reason]);
    expect(dropped).toEqual([
      [1, '"task" is not a task name (text of 1 to 255 characters, on one line)'],
      [2, '"port" is not a whole number from 1 to 65535'],
      [3, '"port" is not a whole number from 1 to 65535'],
      [4, '"port" is not a whole number from 1 to 65535'],
      [5, '"host" is not a host name or an IP address'],
      [6, '"host" is not a host name or an IP address'],
      [7, '"url" is not an http or https URL'],
      [8, '"url" is not a URL'],
      [9, '"url" is not text of at most 2000 characters'],
      [10, '"url" carries credentials'],
      [11, 'it is not an object'],
    ]);
    expect(logs.every((l) => l.fields?.instance_id === deployment.instance.id && l.fields?.level === 'warn')).toBe(true);
    // The log says why, never what the hook printed.
    expect(JSON.stringify(logs)).not.toContain('secret');
  });

  it('takes none from endpoints that are not a list, and adds none when the hook reports none', async () => {
    const notAList = hookPrinting({ endpoints: { task: 'web', port: 80, host: 'a', url: 'http://a' } });
    expect((await notAList.orchestrator.deploy(toDeployment(records()))).endpoints).toEqual([]);
    expect(notAList.logs.map((l) => [l.event, l.fields?.reason])).toEqual([['exec.endpoints_ignored', '"endpoints" is not a list']]);

    const silent = hookPrinting({ workloads: [] });
    expect(await silent.orchestrator.deploy(toDeployment(records()))).not.toHaveProperty('endpoints');
  });

  it.each([
    [{ task: 'web', port: 1, host: 'localhost', url: 'http://localhost:1' }, undefined],
    [{ task: 'web', port: 65_535, host: 'a.b-c.d', url: 'https://a.b-c.d:65535/x?y=z' }, undefined],
    [{ task: 'web\nx', port: 80, host: 'a', url: 'http://a' }, '"task" is not a task name (text of 1 to 255 characters, on one line)'],
    [{ task: 'w'.repeat(256), port: 80, host: 'a', url: 'http://a' }, '"task" is not a task name (text of 1 to 255 characters, on one line)'],
    [{ task: 'web', port: 80.5, host: 'a', url: 'http://a' }, '"port" is not a whole number from 1 to 65535'],
    [{ task: 'web', port: 80, host: `${'a'.repeat(64)}.example`, url: 'http://a' }, '"host" is not a host name or an IP address'],
    [{ task: 'web', port: 80, host: 'under_score', url: 'http://a' }, '"host" is not a host name or an IP address'],
    [{ task: 'web', port: 80, host: 'a', url: 42 }, '"url" is not text of at most 2000 characters'],
    [null, 'it is not an object'],
    [[1], 'it is not an object'],
  ])('checks %j', (endpoint, problem) => {
    expect(endpointProblem(endpoint)).toBe(problem);
  });
});
