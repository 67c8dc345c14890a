import type { PreparedStatement } from './prepared-statement.js';

/**
 * A prepared statement whose parameters have names: its text is written against the names (each
 * stands for its `$n`), and its values are given as an object, so no caller counts positions.
 */
export type NamedStatement<Name extends string> = PreparedStatement & { parameters: readonly Name[] };

export function namedStatement<const Name extends string>(
  name: string,
  parameters: readonly Name[],
  text: (parameter: Record<Name, string>) => string,
): NamedStatement<Name> {
  const placeholders = Object.fromEntries(parameters.map((parameter, index) => [parameter, `$${index + 1}`]));
  return { name, parameters, text: text(placeholders as Record<Name, string>) };
}

/** The statement's values in its parameters' order. */
export function valuesOf<Name extends string>(
  statement: NamedStatement<Name>,
  values: Readonly<Record<Name, string | null>>,
): (string | null)[] {
  return statement.parameters.map((parameter) => values[parameter]);
}
