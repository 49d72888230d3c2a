/**
 * The instance's environment values: one field per variable the build declares (labelled with
 * the variable's name), and a free-form box for variables it does not declare (an operator may
 * set others, such as a collector URL).
 */
import type { JSX } from 'preact';
import { Field } from '../../components/index.js';
import type { BuildVariable } from './build-variables.js';
import { OTHER, type EnvironmentDraft, type EnvironmentErrors } from './environment.js';

export function EnvironmentFields({
  variables,
  draft,
  errors,
  onChange,
}: {
  variables: BuildVariable[];
  draft: EnvironmentDraft;
  errors: EnvironmentErrors;
  onChange: (draft: EnvironmentDraft) => void;
}): JSX.Element {
  return (
    <fieldset class="environment">
      <legend>Environment</legend>
      {variables.length === 0 && <p class="muted">This build declares no environment variables.</p>}
      {variables.map((variable) => (
        <Field key={variable.name} label={variable.name} hint={hintOf(variable)} error={errors[variable.name]}>
          <input
            name={variable.name}
            type="text"
            autocomplete="off"
            spellcheck={false}
            aria-required={variable.required ? "true" : undefined}
            placeholder={variable.default ?? ''}
            value={draft.values[variable.name] ?? ''}
            onInput={(event) => onChange({ ...draft, values: { ...draft.values, [variable.name]: (event.target as HTMLInputElement).value } })}
          />
        </Field>
      ))}
      <Field label="Other variables" hint="One NAME=value per line, for variables the build does not declare." error={errors[OTHER]}>
        <textarea
          name="other-variables"
          rows={2}
          autocomplete="off"
          spellcheck={false}
          value={draft.other}
          onInput={(event) => onChange({ ...draft, other: (event.target as HTMLTextAreaElement).value })}
        />
      </Field>
    </fieldset>
  );
}

function hintOf(variable: BuildVariable): string {
  const parts = [variable.description?.replace(/[.\s]+$/, '')];
  if (variable.required) parts.push('Required');
  else if (variable.mayBeGiven) parts.push('Needed, unless the agent wires it in from another instance or the platform');
  else if (variable.default !== undefined) parts.push(variable.default === '' ? 'Optional (default: empty)' : `Optional (default: ${variable.default})`);
  else parts.push('Optional');
  return `${parts.filter(Boolean).join('. ')}.`;
}
