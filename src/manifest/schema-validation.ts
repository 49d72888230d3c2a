/**
 * Checking a manifest against its JSON Schema (ajv, draft 2020-12) and turning each schema error
 * into one sentence at the offending value's position. Schemas are compiled on first use and
 * kept: most commands never load a manifest, and those that do load one or two.
 */
import { Ajv2020, type ErrorObject, type SchemaObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { problemAt, type ManifestProblem } from './errors.js';
import { pathFromPointer, type SourceDocument } from './source.js';
import { closest } from './suggest.js';

export type SchemaError = ErrorObject;

let ajv: Ajv2020 | undefined;
const compiled = new WeakMap<SchemaObject, ValidateFunction>();

function validator(schema: SchemaObject): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    if (!ajv) {
      // verbose: errors carry their schema, which names the keys an unknown key could have meant.
      // strictRequired off: `if`/`then` require keys the surrounding object declares.
      ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true });
      addFormats.default(ajv, ['uuid', 'uri', 'date-time']);
      // `rule`: how a pattern reads in a sentence ("upper-case letters, digits and _").
      ajv.addVocabulary(['rule']);
    }
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/** The schema errors of `data`, none when it is valid. */
export function schemaErrors(schema: SchemaObject, data: unknown): SchemaError[] {
  const validate = validator(schema);
  if (validate(data)) return [];
  // `if`/`then` add a summary error beside the real one: the real one says more.
  return (validate.errors ?? []).filter((error) => error.keyword !== 'if');
}

/** How the format calls its collections in sentences: YAML has mappings and lists. */
export type Vocabulary = 'yaml' | 'json';

/** One schema error as a problem at its value's position (an unknown key: at the key). */
export function describeSchemaError(source: SourceDocument, error: SchemaError, vocabulary: Vocabulary): ManifestProblem {
  const path = pathFromPointer(error.instancePath);
  const field = fieldName(path, source.data);
  const params = error.params as Record<string, unknown>;
  const parentSchema = (error.parentSchema ?? {}) as SchemaObject;
  const say = (segments: readonly string[], message: string, part: 'key' | 'value' = 'value'): ManifestProblem => problemAt(source.file, source.positionOf(segments, part), message);
  // A key that breaks `propertyNames` (a variable name in mappings): said of the key, at the key.
  if (error.propertyName !== undefined) {
    const rule = typeof parentSchema.rule === 'string' ? parentSchema.rule : 'a valid name';
    return say([...path, error.propertyName], `${field} has the key ${JSON.stringify(error.propertyName)}, which is not ${rule}.`, 'key');
  }
  switch (error.keyword) {
    case 'type':
      return say(path, `${field} must be ${typeWords(params.type, vocabulary)}.`);
    case 'required': {
      const missing = String(params.missingProperty);
      return say(path, `${join(field, missing)} is required.`);
    }
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = Object.keys((parentSchema.properties ?? {}) as object);
      const guess = closest(key, known);
      const name = join(field, key);
      const message = guess ? `${name} is not a known key; did you mean ${guess}?` : `${name} is not a known key (${field || 'the top level'} takes ${known.join(', ')}).`;
      return say([...path, key], message, 'key');
    }
    case 'enum':
      return say(path, `${field} must be one of ${(error.schema as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, not ${JSON.stringify(error.data)}.`);
    case 'const':
      return say(path, `${field} must be ${JSON.stringify(params.allowedValue)}.`);
    case 'pattern':
      return say(path, `${field} must be ${typeof parentSchema.rule === 'string' ? parentSchema.rule : `text matching ${String(params.pattern)}`}, not ${JSON.stringify(error.data)}.`);
    case 'format':
      return say(path, `${field} must be ${FORMAT_WORDS[String(params.format)] ?? `a valid ${String(params.format)}`}, not ${JSON.stringify(error.data)}.`);
    case 'minimum':
    case 'exclusiveMinimum':
      return say(path, `${field} must be ${error.keyword === 'minimum' ? 'at least' : 'more than'} ${String(params.limit)}.`);
    case 'maximum':
    case 'exclusiveMaximum':
      return say(path, `${field} must be ${error.keyword === 'maximum' ? 'at most' : 'less than'} ${String(params.limit)}.`);
    case 'minItems':
      return say(path, Number(params.limit) === 1 ? `${field} must not be empty.` : `${field} must have at least ${String(params.limit)} items.`);
    case 'minLength':
      return say(path, Number(params.limit) === 1 ? `${field} must not be empty.` : `${field} must be at least ${String(params.limit)} characters long.`);
    case 'maxLength':
      return say(path, `${field} must be at most ${String(params.limit)} characters long.`);
    case 'uniqueItems':
      return say([...path, String(params.i)], `${field} lists the same item twice (items ${Number(params.j) + 1} and ${Number(params.i) + 1}).`);
    default:
      return say(path, `${field || 'the manifest'} ${error.message ?? 'is not valid'}.`);
  }
}

/** Problems for all the errors, in the order of the file. */
export function describeSchemaErrors(source: SourceDocument, errors: SchemaError[], vocabulary: Vocabulary): ManifestProblem[] {
  // One value can break several rules at once ("x" is neither a URI nor http:…): its first says enough.
  const seen = new Set<string>();
  const first = errors.filter((error) => {
    if (error.keyword === 'required' || error.keyword === 'additionalProperties') return true;
    // `propertyNames` only summarises the error about the key, which is said instead.
    if (error.keyword === 'propertyNames') return false;
    const at = error.propertyName === undefined ? error.instancePath : `${error.instancePath} key ${error.propertyName}`;
    if (seen.has(at)) return false;
    seen.add(at);
    return true;
  });
  return sortProblems(first.map((error) => describeSchemaError(source, error, vocabulary)));
}

export function sortProblems(problems: ManifestProblem[]): ManifestProblem[] {
  return [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

/** `build.configurations[0].tasks[1].ports[0]`: keys joined by dots, list indexes in brackets. */
export function fieldName(path: readonly (string | number)[], data: unknown): string {
  let name = '';
  let value = data;
  for (const segment of path) {
    if (Array.isArray(value)) {
      name += `[${segment}]`;
      value = value[Number(segment)];
    } else {
      name = join(name, String(segment));
      value = value && typeof value === 'object' ? (value as Record<string, unknown>)[String(segment)] : undefined;
    }
  }
  return name;
}

function join(parent: string, key: string): string {
  return parent ? `${parent}.${key}` : key;
}

const FORMAT_WORDS: Record<string, string> = {
  uuid: 'a UUID',
  uri: 'an absolute URI such as https://example.org/page',
  'date-time': 'an ISO 8601 date and time such as 2024-05-01T12:00:00Z',
};

function typeWords(type: unknown, vocabulary: Vocabulary): string {
  const words: Record<string, string> = {
    string: 'a string',
    number: 'a number',
    integer: 'a whole number',
    boolean: 'true or false',
    object: vocabulary === 'yaml' ? 'a mapping' : 'an object',
    array: vocabulary === 'yaml' ? 'a list' : 'an array',
    null: 'empty',
  };
  const types = (Array.isArray(type) ? type : String(type).split(',')).map((t) => words[String(t)] ?? String(t));
  return types.length > 1 ? `${types.slice(0, -1).join(', ')} or ${types.at(-1)}` : (types[0] ?? 'something else');
}
