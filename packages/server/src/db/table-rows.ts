import { type Column, getTableColumns, type InferSelectModel, type Table } from 'drizzle-orm';

/**
 * A row read by a fixed statement (`select *`, snake_case columns as the driver gives them) in the
 * shape drizzle's own select gives: property names and values mapped by each column, as drizzle does.
 */
export function rowOfTable<T extends Table>(table: T, raw: Record<string, unknown>): InferSelectModel<T> {
  const row: Record<string, unknown> = {};
  for (const [property, column] of Object.entries(getTableColumns(table)) as [string, Column][]) {
    const value = raw[column.name];
    row[property] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row as InferSelectModel<T>;
}

/** A column of a table as a fixed statement's parameter: its name and SQL type. */
export type TableParameter = { name: string; sqlType: string };

/** Every column of `table`, in the table's order: the write side of `rowOfTable`. */
export function parametersOfTable(table: Table): TableParameter[] {
  return (Object.values(getTableColumns(table)) as Column[]).map((column) => ({
    name: column.name,
    sqlType: column.getSQLType(),
  }));
}

/**
 * A row in drizzle's shape as the text values of a fixed statement, by column name: each value mapped
 * by its column as drizzle maps it when it writes (dates as ISO text, JSON as its text, numbers as digits).
 */
export function textValuesOfRow<T extends Table>(
  table: T,
  row: InferSelectModel<T>,
): Record<string, string | null> {
  const values: Record<string, string | null> = {};
  for (const [property, column] of Object.entries(getTableColumns(table)) as [string, Column][]) {
    const value = (row as Record<string, unknown>)[property];
    if (value === null || value === undefined) {
      values[column.name] = null;
      continue;
    }
    const driverValue = column.mapToDriverValue(value);
    if (typeof driverValue === 'string') values[column.name] = driverValue;
    else if (['number', 'bigint', 'boolean'].includes(typeof driverValue))
      values[column.name] = String(driverValue);
    else throw new Error(`column ${column.name}: no text form for a ${typeof driverValue} value`);
  }
  return values;
}
