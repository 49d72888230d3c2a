/**
 * The environment values of "Deploy to…" and an instance's Settings, checked in the browser
 * with the agent's rules before anything is created: required values, names, the reserved
 * HSP_ prefix, sizes, and the free-form NAME=value lines.
 */
import { describe, expect, it } from 'vitest';
import type { BuildVariable } from '../../../src/ui/pages/platform/build-variables.js';
import { checkEnvironment, draftOf, OTHER } from '../../../src/ui/pages/platform/environment.js';

const VARIABLES: BuildVariable[] = [
  { name: 'FHIR_BASE_URL', required: true },
  { name: 'LOG_LEVEL', required: false, default: 'info' },
];

describe('environment values', () => {
  it('sends what is filled in, leaves empty optional values to their defaults, and requires the rest', () => {
    expect(checkEnvironment(VARIABLES, { values: { FHIR_BASE_URL: 'http://fhir', LOG_LEVEL: '' }, other: '' })).toEqual({ environment: { FHIR_BASE_URL: 'http://fhir' }, errors: {} });
    expect(checkEnvironment(VARIABLES, { values: { FHIR_BASE_URL: '', LOG_LEVEL: 'debug' }, other: '' }).errors).toEqual({
      FHIR_BASE_URL: 'FHIR_BASE_URL is required: the build has no default for it.',
    });
  });

  it('refuses values the agent would refuse', () => {
    const { errors } = checkEnvironment(VARIABLES, { values: { FHIR_BASE_URL: 'a\u0000b', LOG_LEVEL: 'x'.repeat(32 * 1024 + 1) }, other: '' });
    expect(errors.FHIR_BASE_URL).toBe('FHIR_BASE_URL contains a NUL character, which no environment variable can hold.');
    expect(errors.LOG_LEVEL).toBe('LOG_LEVEL is longer than 32 KiB, the most the agent accepts.');
  });

  it('reads other variables as NAME=value lines, saying which line is wrong', () => {
    const values = { FHIR_BASE_URL: 'http://fhir' };
    expect(checkEnvironment(VARIABLES, { values, other: 'COLLECTOR=http://otel:4318\n\n  TOKEN=a=b\r\n' }).environment).toEqual({ FHIR_BASE_URL: 'http://fhir', COLLECTOR: 'http://otel:4318', TOKEN: 'a=b' });
    const problem = (other: string) => checkEnvironment(VARIABLES, { values, other }).errors[OTHER];
    expect(problem('just words')).toBe('Line 1 of Other variables is not NAME=value.');
    expect(problem('A=1\nlower=2')).toBe('Line 2 of Other variables: lower is not a variable name (capital letters, digits and _ only).');
    expect(problem('HSP_PLATFORM_ID=x')).toBe('Line 1 of Other variables: HSP_ variables are the claim data the agent gives every task; choose another name.');
    expect(problem('FHIR_BASE_URL=x')).toBe('Line 1 of Other variables: FHIR_BASE_URL has its own field above.');
    expect(problem('A=1\nA=2')).toBe('Line 2 of Other variables: A is set twice.');
  });

  it('starts a form from an instance: declared names in their fields, the rest as lines', () => {
    expect(draftOf(VARIABLES, { FHIR_BASE_URL: 'http://fhir', EXTRA: '1', MORE: 'a=b' })).toEqual({
      values: { FHIR_BASE_URL: 'http://fhir', LOG_LEVEL: '' },
      other: 'EXTRA=1\nMORE=a=b',
    });
  });
});
