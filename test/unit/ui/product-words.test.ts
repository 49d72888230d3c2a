/**
 * The words the catalogue and product page use for what the API answers, without a browser:
 * a task's instances, memory, ports and schedule; summaries and paragraphs
 * of plain text; and never "undefined", "null" or "NaN" for a missing value.
 */
import { describe, expect, it } from 'vitest';
import type { Build } from '../../../src/sdk/types/builds.js';
import type { Task } from '../../../src/sdk/types/tasks.js';
import { initial, memory, orDash, paragraphs, plural, summary } from '../../../src/ui/pages/catalogue/words.js';
import { describeTask, imageOf, instances } from '../../../src/ui/pages/product/task-words.js';

const TIMES = { id: 'a1b2c3d4-0000-4000-8000-000000000001', created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' };

function build(fields: Partial<Build> = {}): Build {
  return {
    ...TIMES,
    product_id: 'a1b2c3d4-0000-4000-8000-000000000002',
    version: '1.2.0',
    release_notes: null,
    permissions: null,
    container_repository: 'example/viewer',
    container_tag: '1.2.0',
    validated_at: null,
    published_at: null,
    ...fields,
  };
}

function task(fields: Partial<Task> = {}): Task {
  return { ...TIMES, configuration_id: 'a1b2c3d4-0000-4000-8000-000000000003', name: 'web', minimum: null, maximum: null, memory: null, ...fields };
}

describe('a task in words', () => {
  it('says how many instances of which image, with memory and ports', () => {
    expect(describeTask(task({ minimum: 2, maximum: 2, memory: 512, ports: [8080] }), build())).toBe('2 instances of example/viewer:1.2.0, 512 MB memory each, port 8080.');
    expect(describeTask(task({ minimum: 1, maximum: 3, memory: 2048, ports: [80, 443, 8443] }), build())).toBe(
      '1 to 3 instances of example/viewer:1.2.0, 2 GB memory each, ports 80, 443 and 8443.',
    );
  });

  it('reads the specification fields too, and a schedule', () => {
    expect(describeTask(task({ instances_minimum: 1, instances_maximum: 1, memory_minimum: 128, memory_maximum: 256, cron: '0 3 * * *' }), build())).toBe(
      '1 instance of example/viewer:1.2.0, 128 MB to 256 MB memory each, on the schedule “0 3 * * *”.',
    );
  });

  it('takes a maximum of 0 as no maximum, and says little when the task says little', () => {
    expect(instances(task({ minimum: 2, maximum: 0 }))).toBe('at least 2 instances');
    expect(instances(task({ maximum: 4 }))).toBe('up to 4 instances');
    expect(describeTask(task(), build({ container_repository: null }))).toBe('1 instance.');
  });

  it('names the image by tag, else by digest, else not at all', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(imageOf(build({ container_tag: null, container_digest: digest }))).toBe(`example/viewer@${digest}`);
    expect(imageOf(build({ container_repository: null }))).toBeUndefined();
  });
});

describe('plain text', () => {
  it('splits paragraphs at blank lines and never reads HTML', () => {
    expect(paragraphs('First.\n\n<b>Second</b>\nline two\r\n\r\n  \n\nThird.')).toEqual(['First.', '<b>Second</b>\nline two', 'Third.']);
    expect(paragraphs(null)).toEqual([]);
  });

  it('summarises the first paragraph at a word, with an ellipsis', () => {
    const long = `${'word '.repeat(50)}end`;
    const short = summary(long, 40);
    expect(short.length).toBeLessThanOrEqual(41);
    expect(short).toMatch(/word…$/);
    expect(summary('Short one.\n\nMore.')).toBe('Short one.');
    expect(summary(undefined)).toBe('');
  });

  it('has a word or a dash for every missing value', () => {
    expect(orDash(null)).toBe('—');
    expect(orDash('  ')).toBe('—');
    expect(initial('  éclair app')).toBe('É');
    expect(initial('')).toBe('?');
    expect(plural(1, 'product')).toBe('1 product');
    expect(plural(1200, 'product')).toBe('1,200 products');
    expect(memory(1536)).toBe('1.5 GB');
    expect(memory(300)).toBe('300 MB');
  });
});
