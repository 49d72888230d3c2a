/** A labelled form control with its hint and error wired up for screen readers. */
import { cloneElement, type ComponentChildren, type JSX, type VNode } from 'preact';
import { useId } from 'preact/hooks';

export interface FieldProps {
  label: string;
  hint?: ComponentChildren;
  error?: string | undefined;
  /** One control (input, select, textarea); it receives the id and aria attributes. */
  children: VNode<Record<string, unknown>>;
}

export function Field({ label, hint, error, children }: FieldProps): JSX.Element {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  const control = cloneElement(children, {
    id: (children.props.id as string | undefined) ?? id,
    'aria-describedby': describedBy,
    'aria-invalid': error ? 'true' : undefined,
  });
  return (
    <div class={`field${error ? ' field-invalid' : ''}`}>
      <label for={(children.props.id as string | undefined) ?? id}>{label}</label>
      {control}
      {hint && (
        <p class="field-hint" id={hintId}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={errorId}>
          {error}
        </p>
      )}
    </div>
  );
}
