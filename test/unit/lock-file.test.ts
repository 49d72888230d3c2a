/**
 * The lock file both the server's data folder and the agent's state folder are guarded by, on
 * a real folder with real processes: release touches only its own lock, a lock being written
 * is waited for rather than taken over, a hostile record cannot put files outside the folder,
 * and what dead contenders left is swept. Takeover by one of many contenders, and a crashed
 * holder's lock, are in test/integration/server/data-folder.test.ts and
 * test/unit/agent/agent-state.test.ts.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { newLockToken, releaseLock, sweepLockLeftovers, takeLock, type LockRules } from '../../src/lock-file.js';
import { processIdentity, recordedProcessRuns } from '../../src/process-identity.js';
import { deadPid } from '../helpers/processes.js';
import { onPosix } from '../helpers/skips.js';

interface Holder {
  pid: number;
  process?: string;
  token?: string;
}

const rules: LockRules<Holder> = {
  parse(text) {
    try {
      const value = JSON.parse(text) as Holder;
      return Number.isSafeInteger(value.pid) ? value : undefined;
    } catch {
      return undefined;
    }
  },
  isAlive: (holder) => recordedProcessRuns(holder.pid, holder.process),
};

const root = mkdtempSync(join(tmpdir(), 'hsp-lock-file-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const folder = () => mkdtempSync(join(root, 'lock-'));
const me = () => ({ pid: process.pid, process: processIdentity(process.pid), token: newLockToken() });

const backdate = (path: string) => utimesSync(path, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));

onPosix.describe('a lock file', () => {
  it('is taken when free, refused while held (naming the holder), and released only by the one who took it', async () => {
    const dir = folder();
    const path = join(dir, 'x.lock');
    const first = me();
    expect(await takeLock(path, first, rules)).toBeUndefined();
    expect(await takeLock(path, me(), rules)).toEqual(first);
    // Another token, as a process that took the lock over would have: not ours to remove.
    await releaseLock(path, newLockToken(), rules.parse);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(first);
    await releaseLock(path, first.token, rules.parse);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('that cannot be read yet is given a moment (a file system without hard links writes it in place), then counts', async () => {
    const dir = folder();
    const path = join(dir, 'x.lock');
    const holder = me();
    writeFileSync(path, '{"pid": ');
    const finished = new Promise((resolve) => setTimeout(resolve, 200)).then(() => writeFileSync(path, JSON.stringify(holder)));
    expect(await takeLock(path, me(), rules)).toEqual(holder);
    await finished;
  });

  it('whose record carries a token that is no file name part puts nothing outside its folder when taken over', async () => {
    const dir = folder();
    const path = join(dir, 'x.lock');
    writeFileSync(path, JSON.stringify({ pid: await deadPid(), token: '../../escaped' }));
    const before = readdirSync(root).sort();
    const mine = me();
    expect(await takeLock(path, mine, rules)).toBeUndefined();
    expect(readdirSync(root).sort()).toEqual(before);
    expect(readdirSync(dir)).toEqual(['x.lock']);
    await releaseLock(path, mine.token, rules.parse);
  });

  it('leftovers of dead contenders are swept, while those of a live one, and one still being written, stay', async () => {
    const dir = folder();
    const path = join(dir, 'x.lock');
    const dead = await deadPid();
    const live = me();
    const left = (suffix: string, text: string) => {
      const name = `x.lock.${newLockToken()}.${suffix}`;
      writeFileSync(join(dir, name), text);
      return name;
    };
    left('new', JSON.stringify({ pid: dead, token: newLockToken() }));
    left('claim', JSON.stringify({ pid: dead, token: newLockToken() }));
    backdate(join(dir, left('new', '{"pid": ')));
    const living = left('new', JSON.stringify(live));
    const beingWritten = left('new', '{"pid": ');
    writeFileSync(join(dir, 'other.lock.abc'), JSON.stringify({ pid: dead }));
    await sweepLockLeftovers(path, rules);
    expect(readdirSync(dir).sort()).toEqual([living, beingWritten, 'other.lock.abc'].sort());
  });
});
