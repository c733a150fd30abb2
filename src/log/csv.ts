/**
 * CSV as RFC 4180 writes it: CRLF after every record, a field quoted when it holds a comma,
 * quote, CR or LF, quotes doubled. Hand-written: the maintained writers (csv-stringify,
 * papaparse) bring Node streams or a parser we don't need for these dozen lines.
 */

export type CsvCell = string | number | null

const NEEDS_QUOTES = /[",\r\n]/

/** One field: null is an empty field; numbers as JavaScript writes them. */
export function csvField(cell: CsvCell): string {
  const text = cell === null ? '' : String(cell)
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** A header record, then one record per row, each ended by CRLF. */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  let out = `${header.map(csvField).join(',')}\r\n`
  for (const row of rows) out += `${row.map(csvField).join(',')}\r\n`
  return out
}
