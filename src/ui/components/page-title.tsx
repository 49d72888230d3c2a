/**
 * A page's heading. It names the tab, and after a navigation it takes focus, so a screen reader
 * announces the new page as it would after a full load (and keyboard users start from the top).
 */
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

let firstPage = true;

export function PageTitle({ title, children }: { title: string; children?: ComponentChildren }): JSX.Element {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · HSP Marketplace`;
  }, [title]);
  useEffect(() => {
    if (firstPage) firstPage = false;
    else ref.current?.focus({ preventScroll: true });
  }, []);
  return (
    <div class="page-title">
      <h1 ref={ref} tabIndex={-1}>
        {title}
      </h1>
      {children && <div class="page-actions">{children}</div>}
    </div>
  );
}
