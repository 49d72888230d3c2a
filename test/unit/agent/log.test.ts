import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, levelOf } from '../../../src/agent/log.js';

function capture(level?: 'debug' | 'info' | 'warn' | 'error') {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const log = createLogger(stream, { level, now: () => new Date('2026-11-26T08:00:00.000Z') });
  return { log, lines: () => text.trimEnd().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>), text: () => text };
}

describe('the agent log', () => {
  it('writes one JSON object per line: time, level, event, then the fields', () => {
    const { log, text } = capture();
    log('deploy.done', { instance: 'a1', ms: 12 });
    log('reconcile.done');
    expect(text()).toBe(
      '{"time":"2026-11-26T08:00:00.000Z","level":"info","event":"deploy.done","instance":"a1","ms":12}\n' +
        '{"time":"2026-11-26T08:00:00.000Z","level":"info","event":"reconcile.done"}\n',
    );
  });

  it('reads the level from the event name unless a field gives it', () => {
    expect([levelOf('deploy.failed'), levelOf('stream.error'), levelOf('event.refused'), levelOf('event.ignored'), levelOf('deploy.started')]).toEqual([
      'error',
      'error',
      'warn',
      'warn',
      'info',
    ]);
    const { log, lines } = capture('debug');
    log('instance.unchanged', { level: 'debug' });
    log('deploy.failed', { reason: 'The image could not be pulled.' });
    expect(lines().map((l) => [l.event, l.level])).toEqual([
      ['instance.unchanged', 'debug'],
      ['deploy.failed', 'error'],
    ]);
  });

  it('drops lines below its level', () => {
    const { log, lines } = capture('warn');
    log('deploy.started');
    log('instance.unchanged', { level: 'debug' });
    log('event.refused', { reason: 'The event is for another platform.' });
    expect(lines().map((l) => l.event)).toEqual(['event.refused']);
  });

  it('redacts secrets by field name at any depth, and environment values but not their names', () => {
    const { log, text, lines } = capture();
    log('agent.signed_in', {
      token: 'eyJhbGciOiJIUzI1NiJ9.secret-token',
      nested: { Authorization: 'Bearer abc.def.ghi', private_key: '-----BEGIN PRIVATE KEY-----', list: [{ password: 'hunter2' }] },
      environment: { DATABASE_PASSWORD: 'p4ss', API_URL: 'https://api' },
      variables: { environment: { PLAIN: 'value-should-not-appear' } },
      names: { environment: ['API_URL', 'DATABASE_PASSWORD'] },
    });
    for (const secret of ['secret-token', 'abc.def.ghi', 'BEGIN PRIVATE KEY', 'hunter2', 'p4ss', 'https://api', 'value-should-not-appear']) expect(text()).not.toContain(secret);
    expect(lines()[0]).toMatchObject({
      token: '[redacted]',
      nested: { Authorization: '[redacted]', private_key: '[redacted]', list: [{ password: '[redacted]' }] },
      environment: '[redacted]',
      names: { environment: ['API_URL', 'DATABASE_PASSWORD'] },
    });
  });

  it('clips long text, writes errors as their message and survives values JSON cannot hold', () => {
    const { log, lines } = capture();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    log('event.refused', { reason: 'x'.repeat(10_000), error: new Error('The Engine refused.'), big: 10n, cyclic });
    const [line] = lines();
    expect(String(line!.reason)).toMatch(/^x{2000}… \(10000 characters\)$/);
    expect(line).toMatchObject({ error: 'The Engine refused.', big: '10' });
    expect(JSON.stringify(line!.cyclic)).toContain('…');
  });

  it('never throws at the agent when stdout is gone', () => {
    const closed = new Writable({ write: (_chunk, _encoding, callback) => callback() });
    closed.destroy();
    const log = createLogger(closed);
    expect(() => log('deploy.done', { instance: 'a1' })).not.toThrow();
  });
});
