/**
 * Screenshots: one shown large with its caption, thumbnails to choose another. The thumbnails
 * are buttons (Tab reaches them), and the arrow keys step through them; every image sits in a
 * box of fixed proportions, so nothing moves while images load.
 */
import type { JSX } from 'preact';
import { useRef, useState } from 'preact/hooks';
import type { Screenshot } from '../../../sdk/types/screenshots.js';
import { uiConfig } from '../../config.js';

function imageUrl(shot: Screenshot, size: 'large' | 'small'): string {
  const version = shot.image_updated_at ? `?v=${encodeURIComponent(shot.image_updated_at)}` : '';
  return `${uiConfig.marketplaceUrl}/products/${encodeURIComponent(shot.product_id)}/screenshots/${encodeURIComponent(shot.id)}/${size}${version}`;
}

export function Gallery({ screenshots }: { screenshots: Screenshot[] }): JSX.Element | null {
  // Only screenshots with an image: a caption alone is nothing to look at.
  const shots = screenshots.filter((shot) => shot.image_file_name);
  const [index, setIndex] = useState(0);
  const thumbs = useRef<HTMLUListElement>(null);
  if (!shots.length) return null;
  const current = shots[Math.min(index, shots.length - 1)]!;
  const show = (next: number, focus = false) => {
    const wrapped = (next + shots.length) % shots.length;
    setIndex(wrapped);
    if (focus) thumbs.current?.querySelectorAll('button')[wrapped]?.focus();
  };
  const onKeyDown = (event: JSX.TargetedKeyboardEvent<HTMLUListElement>) => {
    const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
    if (step !== undefined) {
      event.preventDefault();
      show(index + step, true);
    } else if (event.key === 'Home' || event.key === 'End') {
      event.preventDefault();
      show(event.key === 'Home' ? 0 : shots.length - 1, true);
    }
  };
  return (
    <section class="gallery" aria-labelledby="screenshots-heading">
      <h2 id="screenshots-heading">Screenshots</h2>
      <figure class="gallery-main">
        <div class="gallery-frame">
          <img key={current.id} src={imageUrl(current, 'large')} alt={current.caption} decoding="async" />
        </div>
        <figcaption>
          {current.caption}
          {shots.length > 1 && (
            <span class="muted">
              {' '}
              ({Math.min(index, shots.length - 1) + 1} of {shots.length})
            </span>
          )}
        </figcaption>
      </figure>
      {shots.length > 1 && (
        <ul class="gallery-thumbs" ref={thumbs} onKeyDown={onKeyDown} aria-label="Choose a screenshot">
          {shots.map((shot, i) => (
            <li key={shot.id}>
              <button type="button" class="gallery-thumb" aria-current={i === index ? 'true' : undefined} onClick={() => show(i)} aria-label={`Screenshot ${i + 1}: ${shot.caption}`}>
                <img src={imageUrl(shot, 'small')} alt="" loading="lazy" decoding="async" width={120} height={75} />
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
