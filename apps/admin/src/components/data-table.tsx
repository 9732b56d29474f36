import type { ReactNode } from 'react';

export interface Column {
  key: string;
  label: string;
  numeric?: boolean;
}

export type Row = Record<string, ReactNode>;

/**
 * Cells keep to one line (figures, dates and ids must not break at a hyphen; a wide table scrolls
 * in its box), except prose such as error messages, which wraps.
 */
function cellClass(c: Column, value: ReactNode): string | undefined {
  const prose = typeof value === 'string' && value.length > 40;
  return [c.numeric ? 'num' : '', prose ? 'prose' : ''].filter(Boolean).join(' ') || undefined;
}

export function DataTable({
  caption,
  columns,
  rows,
  testId,
}: {
  caption: string;
  columns: Column[];
  rows: Row[];
  testId?: string;
}) {
  // A table wider than its card scrolls inside it rather than widening the page.
  return (
    <div className="table-scroll">
      <table className="data" data-testid={testId}>
        <caption>{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key} scope="col" className={c.numeric ? 'num' : undefined}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional and static.
            <tr key={i}>
              {columns.map((c, j) =>
                j === 0 ? (
                  <th key={c.key} scope="row">
                    {row[c.key]}
                  </th>
                ) : (
                  <td key={c.key} className={cellClass(c, row[c.key])}>
                    {row[c.key]}
                  </td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The accessible equivalent of a chart: the same data as a table, one click away. */
export function ChartData(props: { caption: string; columns: Column[]; rows: Row[]; testId?: string }) {
  return (
    <details className="chart-data">
      <summary>Data table: {props.caption}</summary>
      <DataTable {...props} />
    </details>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return (
    <p className="empty" role="status">
      {children}
    </p>
  );
}

export function Section({ title, children, id }: { title: string; children: ReactNode; id?: string }) {
  return (
    <section className="card" aria-labelledby={id ? `${id}-h` : undefined} data-testid={id}>
      <h2 id={id ? `${id}-h` : undefined}>{title}</h2>
      {children}
    </section>
  );
}
