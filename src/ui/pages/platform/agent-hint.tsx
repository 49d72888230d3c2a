/**
 * How to give a platform its agent: the commands for this platform, on the host that runs what
 * is deployed to it. `hsp agent register` gives the agent a key of its own (then no user token
 * needs to live on the host); `hsp agent listen` deploys.
 */
import type { JSX } from 'preact';
import { uiConfig } from '../../config.js';

export function AgentHint({ name }: { name: string }): JSX.Element {
  const platform = shellWord(name);
  return (
    <div class="agent-hint">
      <p>
        An agent deploys what you choose here onto the platform's host. On that host, sign in to this marketplace and start the agent for <strong>{name}</strong>:
      </p>
      <pre>
        <code>
          {`hsp login ${shellWord(uiConfig.marketplaceUrl)}\nhsp agent register --platform ${platform}\nhsp agent listen --platform ${platform}`}
        </code>
      </pre>
      <p class="muted">
        <code>--orchestrator docker</code> (the default), <code>kubernetes</code>, <code>exec</code> or <code>dry-run</code> choose what runs the instances.
      </p>
    </div>
  );
}

/** Quoted for a POSIX shell when it needs to be. */
function shellWord(text: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
