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
