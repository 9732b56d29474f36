import { formatMoney } from '@org/billing-ledger';
import { type FigureKey, figure, figureChange, formatFigure } from '@org/insights';
import { table } from './output.ts';

/**
 * How the CLI shows figures: every number that has a key in the figure catalog of @org/insights
 * is printed with the catalog's label and unit, so a label means the same number here, on the
 * dashboard and in the growth report; `--json` lists those numbers under their catalog keys.
 */

/** Minor units for display, with Stripe's currency exponents (the project's one money formatter). */
export const money = (minor: number | null | undefined, currency: string): string =>
  minor === null || minor === undefined ? 'n/a' : formatMoney(minor, currency);

/** A row of a figure table: a catalog figure, or a number the catalog does not define. */
export type FigureRow =
  | {
      key: FigureKey;
      value: number | null | undefined;
      /** The value at the period start (the previous period's end): shown with the catalog's change. */
      start?: number | null | undefined;
      note?: string | undefined;
    }
  | { label: string; text: string; note?: string | undefined };

const isFigure = (r: FigureRow): r is Extract<FigureRow, { key: FigureKey }> => 'key' in r;

/** The catalog figures of the rows by key (the `figures` object of `--json`); null without a value. */
export function figureValues(rows: readonly FigureRow[]): Partial<Record<FigureKey, number | null>> {
  const out: Partial<Record<FigureKey, number | null>> = {};
  for (const r of rows) if (isFigure(r)) out[r.key] = r.value ?? null;
  return out;
}

/** The rows as aligned text: label, value (in the catalog's unit), note. */
export function figureTable(rows: readonly FigureRow[], currency: string): string {
  return table(
    rows.map((r) => {
      if (!isFigure(r)) return [r.label, r.text, r.note ?? ''];
      const f = figure(r.key);
      const notes: string[] = [];
      if (r.start !== undefined) {
        const change = figureChange(f, r.value, r.start, currency);
        notes.push(
          `at start ${formatFigure(f, r.start, currency)}${change ? `, ${change.text}` : ''}`.trim(),
        );
      }
      if (r.note) notes.push(r.note);
      return [f.label, formatFigure(f, r.value, currency), notes.join('; ')];
    }),
  );
}
