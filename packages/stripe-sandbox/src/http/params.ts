import { errors } from './errors.js';
import type { FormValue } from './form.js';

/** A declarative description of what one endpoint accepts; anything else is `parameter_unknown`. */
export type Spec =
  | { kind: 'string'; required?: boolean; nullable?: boolean; values?: readonly string[] }
  | { kind: 'integer'; required?: boolean; nullable?: boolean }
  | { kind: 'decimal'; required?: boolean; nullable?: boolean }
  | { kind: 'boolean'; required?: boolean; nullable?: boolean }
  | { kind: 'object'; required?: boolean; nullable?: boolean; fields: Record<string, Spec> }
  | { kind: 'array'; required?: boolean; nullable?: boolean; of: Spec }
  | { kind: 'metadata'; required?: boolean; nullable?: boolean }
  | { kind: 'any'; required?: boolean; nullable?: boolean };

type Options = { required?: boolean; nullable?: boolean };

export const str = (options: Options = {}): Spec => ({ kind: 'string', ...options });
export const oneOf = (values: readonly string[], options: Options = {}): Spec => ({
  kind: 'string',
  values,
  ...options,
});
export const int = (options: Options = {}): Spec => ({ kind: 'integer', ...options });
export const decimal = (options: Options = {}): Spec => ({ kind: 'decimal', ...options });
export const bool = (options: Options = {}): Spec => ({ kind: 'boolean', ...options });
export const obj = (fields: Record<string, Spec>, options: Options = {}): Spec => ({
  kind: 'object',
  fields,
  ...options,
});
export const arr = (of: Spec, options: Options = {}): Spec => ({ kind: 'array', of, ...options });
export const metadata = (): Spec => ({ kind: 'metadata', nullable: true });
export const any = (options: Options = {}): Spec => ({ kind: 'any', ...options });
export const required = (spec: Spec): Spec => ({ ...spec, required: true });

export const addressSpec = (): Spec =>
  obj(
    {
      city: str({ nullable: true }),
      country: str({ nullable: true }),
      line1: str({ nullable: true }),
      line2: str({ nullable: true }),
      postal_code: str({ nullable: true }),
      state: str({ nullable: true }),
    },
    { nullable: true },
  );

function childName(parent: string, key: string | number): string {
  return parent === '' ? String(key) : `${parent}[${key}]`;
}

function validateValue(spec: Spec, value: FormValue, name: string): unknown {
  if (value === '' && spec.kind !== 'string') {
    if (spec.nullable) return null;
    throw errors.invalidEmpty(name);
  }
  switch (spec.kind) {
    case 'any':
      return value;
    case 'string':
      if (typeof value !== 'string')
        throw errors.invalidValue(name, `Invalid string: ${name} must be a string`);
      if (value === '') {
        if (spec.nullable) return null;
        throw errors.invalidEmpty(name);
      }
      if (spec.values && !spec.values.includes(value)) {
        throw errors.invalidValue(name, `Invalid ${name}: must be one of ${spec.values.join(', ')}`);
      }
      return value;
    case 'integer':
      if (typeof value !== 'string' || !/^-?\d+$/.test(value))
        throw errors.invalidInteger(name, String(value));
      return Number(value);
    case 'decimal':
      if (typeof value !== 'string' || !/^-?\d+(\.\d+)?$/.test(value)) {
        throw errors.invalidValue(name, `Invalid decimal: ${String(value)}`);
      }
      return value;
    case 'boolean':
      if (value !== 'true' && value !== 'false')
        throw errors.invalidValue(name, `Invalid boolean: ${String(value)}`);
      return value === 'true';
    case 'metadata': {
      if (typeof value !== 'object' || Array.isArray(value)) {
        throw errors.invalidValue(name, `Invalid object: ${name} must be a hash of string keys and values`);
      }
      const result: Record<string, string | null> = {};
      for (const [key, item] of Object.entries(value)) {
        if (typeof item !== 'string')
          throw errors.invalidValue(childName(name, key), 'Metadata values must be strings');
        result[key] = item === '' ? null : item;
      }
      return result;
    }
    case 'array': {
      if (!Array.isArray(value)) throw errors.invalidValue(name, `Invalid array: ${name} must be an array`);
      return value.map((item, index) => validateValue(spec.of, item, childName(name, index)));
    }
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) {
        throw errors.invalidValue(name, `Invalid object: ${name} must be an object`);
      }
      return validateFields(spec.fields, value, name);
    }
  }
}

function validateFields(
  fields: Record<string, Spec>,
  value: { [key: string]: FormValue },
  parent: string,
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const fieldSpec = fields[key];
    if (!fieldSpec) throw errors.unknownParameter(childName(parent, key));
    result[key] = validateValue(fieldSpec, value[key] as FormValue, childName(parent, key));
  }
  for (const [key, fieldSpec] of Object.entries(fields)) {
    if (fieldSpec.required && (result[key] === undefined || result[key] === null)) {
      throw errors.missingParameter(childName(parent, key));
    }
  }
  return result;
}

/**
 * Checks a decoded body against an endpoint's spec and converts integers and booleans.
 * `expand` is accepted everywhere, as Stripe does.
 */
export function validateParams<T>(fields: Record<string, Spec>, body: { [key: string]: FormValue }): T {
  return validateFields({ expand: arr(str()), ...fields }, body, '') as T;
}
