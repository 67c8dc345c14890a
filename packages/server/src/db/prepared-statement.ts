/** A statement text with `$1…` parameters and a name unique to that text. */
export type PreparedStatement = { name: string; text: string };
