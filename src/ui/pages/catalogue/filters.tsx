/**
 * The catalogue's search box, filters and sort. Typing updates the URL a moment after the last
 * key (replacing the history entry, so back does not step through every letter); a filter or
 * sort change is a new history entry, and goes back to the first page.
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Interface } from '../../../sdk/types/interfaces.js';
import type { License } from '../../../sdk/types/licenses.js';
import { Field } from '../../components/index.js';
import { setQuery } from '../../router.js';
import { effectiveSort, MIME_TYPES, SORTS, type CatalogueState } from './state.js';

const TYPING_DELAY_MS = 250;

export interface FilterOptions {
  licenses: License[];
  interfaces: Interface[];
}

export function CatalogueFilters({ state, options }: { state: CatalogueState; options: FilterOptions | undefined }): JSX.Element {
  const [text, setText] = useState(state.q);
  const written = useRef(state.q);
  const timer = useRef<ReturnType<typeof setTimeout>>();

  // Back/forward or a link changed the search: show it, unless it is what this box just wrote.
  useEffect(() => {
    if (state.q !== written.current) {
      written.current = state.q;
      setText(state.q);
    }
  }, [state.q]);
  useEffect(() => () => clearTimeout(timer.current), []);

  const commit = (value: string) => {
    clearTimeout(timer.current);
    const q = value.trim();
    if (q === written.current) return;
    written.current = q;
    setQuery({ q, page: undefined }, { replace: true });
  };
  const onInput = (event: JSX.TargetedEvent<HTMLInputElement>) => {
    const value = event.currentTarget.value;
    setText(value);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => commit(value), TYPING_DELAY_MS);
  };
  const choose = (key: keyof CatalogueState) => (event: JSX.TargetedEvent<HTMLSelectElement>) =>
    setQuery({ [key]: event.currentTarget.value, page: undefined });

  const sort = effectiveSort(state);
  const mimeTypes = state.mime_type && !MIME_TYPES.includes(state.mime_type) ? [...MIME_TYPES, state.mime_type] : MIME_TYPES;
  const filtered = Boolean(state.mime_type || state.license || state.interface);
  return (
    <form
      class="catalogue-filters"
      role="search"
      onSubmit={(event) => {
        event.preventDefault();
        commit(text);
      }}
    >
      <div class="catalogue-search">
        <Field label="Search products">
          <input type="search" name="q" value={text} onInput={onInput} maxLength={200} autocomplete="off" spellcheck={false} placeholder="Name or description" />
        </Field>
      </div>
      <div class="catalogue-selects">
        <Field label="MIME type">
          <select name="mime_type" value={state.mime_type} onChange={choose('mime_type')}>
            <option value="">Any MIME type</option>
            {mimeTypes.map((type) => (
              <option key={type} value={type}>
                {type}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Licence">
          <select name="license" value={state.license} onChange={choose('license')}>
            <option value="">Any licence</option>
            {withCurrent(options?.licenses ?? [], state.license).map((license) => (
              <option key={license.id} value={license.id}>
                {license.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Interface">
          <select name="interface" value={state.interface} onChange={choose('interface')}>
            <option value="">Any interface</option>
            {withCurrent(options?.interfaces ?? [], state.interface).map((face) => (
              <option key={face.id} value={face.id}>
                {face.version ? `${face.name} (${face.version})` : face.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Sort by">
          <select name="sort" value={sort.value} onChange={choose('sort')}>
            {SORTS.filter((choice) => choice.value !== 'relevance' || state.q).map((choice) => (
              <option key={choice.value} value={choice.value}>
                {choice.label}
              </option>
            ))}
          </select>
        </Field>
        {filtered && (
          <div class="catalogue-clear">
            <button type="button" class="btn btn-quiet" onClick={() => setQuery({ mime_type: undefined, license: undefined, interface: undefined, page: undefined })}>
              Clear filters
            </button>
          </div>
        )}
      </div>
    </form>
  );
}

/** The options, plus the one the URL names while the list does not have it (yet): the select keeps showing the choice. */
function withCurrent<T extends { id: string; name: string }>(items: T[], current: string): (T | { id: string; name: string; version?: string })[] {
  if (!current || items.some((item) => item.id === current)) return items;
  return [...items, { id: current, name: items.length ? 'Unknown' : 'Loading…', version: '' }];
}
