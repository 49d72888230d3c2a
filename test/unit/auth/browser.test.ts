import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { browserCommand, openBrowser, type Spawn } from '../../../src/auth/browser.js';

const url = 'http://127.0.0.1:5000/identity_providers/x/redirect?redirect_uri=a&b=c;rm -rf ~';

describe('opening the browser', () => {
  it('is argv for the platform opener, so no shell ever parses the URL', () => {
    expect(browserCommand(url, {}, 'darwin')).toEqual(['open', url]);
    expect(browserCommand(url, {}, 'win32')).toEqual(['rundll32', 'url.dll,FileProtocolHandler', url]);
    expect(browserCommand(url, { DISPLAY: ':0' }, 'linux')).toEqual(['xdg-open', url]);
    expect(browserCommand(url, { WAYLAND_DISPLAY: 'wayland-0' }, 'freebsd')).toEqual(['xdg-open', url]);
    expect(browserCommand(url, { HSP_BROWSER: '/opt/firefox/firefox' }, 'linux')).toEqual(['/opt/firefox/firefox', url]);
  });

  it('without a display (SSH, containers), does not try: the caller prints the URL', () => {
    expect(browserCommand(url, {}, 'linux')).toBeUndefined();
  });

  function fakeSpawn(behaviour: 'exit0' | 'exit1' | 'enoent' | 'stays'): { spawn: Spawn; calls: unknown[][] } {
    const calls: unknown[][] = [];
    const spawn = ((program: string, args: string[], options: unknown) => {
      calls.push([program, args, options]);
      const child = Object.assign(new EventEmitter(), { unref: () => undefined });
      setTimeout(() => {
        if (behaviour === 'exit0') child.emit('exit', 0);
        if (behaviour === 'exit1') child.emit('exit', 1);
        if (behaviour === 'enoent') child.emit('error', Object.assign(new Error('spawn xdg-open ENOENT'), { code: 'ENOENT' }));
      }, 5);
      return child;
    }) as unknown as Spawn;
    return { spawn, calls };
  }

  it('says whether it worked', async () => {
    const env = { DISPLAY: ':0' };
    const ok = fakeSpawn('exit0');
    expect(await openBrowser(url, env, ok.spawn)).toBe(true);
    expect(ok.calls[0]).toEqual(['xdg-open', [url], expect.objectContaining({ shell: false, stdio: 'ignore', detached: true })]);
    expect(await openBrowser(url, env, fakeSpawn('exit1').spawn)).toBe(false);
    expect(await openBrowser(url, env, fakeSpawn('enoent').spawn)).toBe(false);
    expect(await openBrowser(url, {}, fakeSpawn('exit0').spawn)).toBe(false);
  });

  it('an opener that keeps running (a browser itself) counts as opened', async () => {
    expect(await openBrowser(url, { HSP_BROWSER: 'firefox' }, fakeSpawn('stays').spawn)).toBe(true);
  }, 5_000);
});
