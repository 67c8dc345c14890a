/**
 * Many rows in one parameter: statements that write or look up a batch take a JSON array of objects
 * and read it with `json_to_recordset`. The JSON keys are the table's column names, so a row's
 * meaning is spelled out and the same in every statement; each table module declares its column
 * list once (name → SQL type) and derives from it the JSON rows, the record definition and the
 * column lists of its statements.
 */
export type JsonColumns = Readonly<Record<string, 'text' | 'numeric' | 'timestamptz' | 'integer' | 'jsonb'>>;

type JsonValueOf<SqlType> = SqlType extends 'integer' ? number : SqlType extends 'jsonb' ? unknown : string;

/** One row of such a parameter. A key left undefined is not serialized and reads as NULL. */
export type JsonRow<Columns extends JsonColumns> = {
  [Column in keyof Columns]: JsonValueOf<Columns[Column]> | null | undefined;
};

const quoted = (column: string) => `"${column}"`;

/** The parameter's value: the rows as a JSON array. */
export const jsonRows = <Columns extends JsonColumns>(_columns: Columns, rows: readonly JsonRow<Columns>[]) =>
  JSON.stringify(rows);

/** `json_to_recordset(<parameter>::json) as <alias>("column" type, …)`, for a FROM clause. */
export function fromJsonRows(columns: JsonColumns, parameter: string, alias = 'd'): string {
  const definition = Object.entries(columns)
    .map(([column, type]) => `${quoted(column)} ${type}`)
    .join(', ');
  return `json_to_recordset(${parameter}::json) as ${alias}(${definition})`;
}

/** The columns, in their declared order, quoted and optionally qualified: `d."a", d."b"`. */
export function columnList(columns: JsonColumns, alias?: string): string {
  const prefix = alias === undefined ? '' : `${alias}.`;
  return Object.keys(columns)
    .map((column) => prefix + quoted(column))
    .join(', ');
}
