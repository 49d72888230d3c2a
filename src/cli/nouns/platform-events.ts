/**
 * `hsp platforms events <platform>`: a platform's events, live, one line each, as its agent
 * receives them: for operators checking what the marketplace sends, and for scripts waiting
 * for the next one (`--count 1`). Keeps listening across disconnects, and says when events
 * may have been missed: ActionCable has no replay.
 */
import { Command } from 'commander';
import type { PlatformEvent } from '../../index.js';
import type { CliContext } from '../context.js';
import { positive, resolveId, resolveParents, withExamples, withParentOptions, type Runner } from '../resource-command.js';
import { platformLookup, userParent } from './lookups.js';

export function platformEventsCommand(noun: Command, run: Runner): void {
  const events = withParentOptions(new Command('events').description("Print a platform's events as they happen, until Ctrl+C"), [userParent])
    .argument('<platform>', 'platform name or id')
    .option('--count <n>', 'stop after this many events');
  events.action(run((ctx, opts, [platform]) => watch(ctx, opts, platform!)));
  noun.addCommand(
    withExamples(events, [
      'hsp platforms events lab',
      'hsp platforms events lab --json | jq .instance_id',
      'hsp platforms events lab --count 1    # wait for the next one',
    ]),
  );
}

async function watch(ctx: CliContext, opts: Record<string, unknown>, platform: string): Promise<void> {
  const count = opts.count === undefined ? undefined : positive(String(opts.count), '--count');
  const client = await ctx.signedInClient();
  const [userId] = await resolveParents([userParent], client, opts, ctx);
  const platformId = await resolveId(platformLookup, client, [userId!], platform);

  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  const stream = await client.events.platform(platformId, { signal: stop.signal });
  let subscriptions = 0;
  stream.on('subscribed', () => {
    if (subscriptions++ === 0) ctx.output.notice(`Listening to platform "${platform}" (Ctrl+C to stop).`);
    else ctx.output.notice(`Listening again. Events sent while disconnected are not replayed: "hsp instances list --platform ${platform}" shows where things stand.`);
  });
  stream.on('disconnected', (reason) => ctx.output.notice(`Disconnected (${reason}); reconnecting…`));
  try {
    let seen = 0;
    for await (const event of stream) {
      print(ctx, event);
      if (count !== undefined && ++seen >= count) break;
    }
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    stream.close();
  }
}

/** A line for people, or a JSON line (never pretty-printed: one event, one line). */
function print(ctx: CliContext, event: PlatformEvent): void {
  const receivedAt = new Date().toISOString();
  if (ctx.output.machine) {
    const line =
      event.type === 'unknown'
        ? { type: event.type, received_at: receivedAt, reason: event.reason, raw: event.raw }
        : { type: event.type, received_at: receivedAt, instance_id: event.instanceId ?? null, build_id: event.buildId, platform_id: event.platformId, message: event.message ?? null };
    ctx.io.stdout.write(`${JSON.stringify(line)}\n`);
    return;
  }
  const what = event.type === 'unknown' ? `${'unknown'.padEnd(16)} ${event.reason}` : `${event.type.padEnd(16)} instance ${event.instanceId ?? '(not sent)'}  build ${event.buildId}`;
  ctx.io.stdout.write(`${receivedAt.slice(0, 19).replace('T', ' ')}  ${what}\n`);
}
