/** Whether the page is following the platform's events: "Live", or why it is not. */
import type { JSX } from 'preact';
import type { StreamStatus } from '../../live/use-live-instances.js';

const TEXT: Record<StreamStatus, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  failed: 'Not live',
};

export function StreamIndicator({ status, error }: { status: StreamStatus; error?: Error | undefined }): JSX.Element {
  const title = status === 'live' ? 'Changes appear here as they happen.' : status === 'failed' ? (error?.message ?? 'The event stream stopped. Reload the page to try again.') : 'Changes appear once the event stream is back.';
  return (
    <span class={`stream stream-${status}`} title={title}>
      <span class="stream-dot" aria-hidden="true" />
      {TEXT[status]}
    </span>
  );
}
