import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  figure,
  figureCatalog,
  figureCatalogMarkdown,
  figureChange,
  formatChange,
  formatFigure,
} from './figures.ts';
import { formatValue } from './format.ts';
import { fixtureCurrent } from './report/fixture.ts';
import { growthReportSchema, sectionIds } from './report/model.ts';

describe('figure catalog', () => {
  it('gives every figure one key and one label, and every label one figure', () => {
    const keys = figureCatalog.map((f) => f.key);
    const labels = figureCatalog.map((f) => f.label);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(labels).size).toBe(labels.length);
    // The two cash variants have two labels.
    expect(figure('revenue.grossCashCollected').label).toBe('Cash collected (gross)');
    expect(figure('revenue.cashCollected').label).toBe('Net cash collected');
    for (const f of figureCatalog) {
      expect(f.definition.length, f.key).toBeGreaterThan(10);
      expect(f.reading.length, f.key).toBeGreaterThan(5);
      expect(f.key.startsWith(`${f.section}.`), f.key).toBe(true);
    }
    expect(() => figure('revenue.nope' as never)).toThrow(RangeError);
  });

  it('shows ratio changes in percentage points and counts and money relatively', () => {
    for (const f of figureCatalog) {
      if (f.unit === 'ratio') expect(f.change, f.key).toBe('points');
      if ((f.unit === 'count' || f.unit === 'money') && f.key !== 'engagement.dau')
        expect(f.change, f.key).toBe('relative');
    }
    const activation = figure('users.activationRate');
    expect(figureChange(activation, 0.5, 0.6, 'usd')).toMatchObject({
      text: '-10.0 pp',
      direction: 'down',
      tone: 'bad',
    });
    expect(figureChange(figure('revenue.mrr'), 11_000, 10_000, 'usd')).toMatchObject({
      text: '+10.0%',
      tone: 'good',
    });
    expect(figureChange(figure('revenue.movements.churn'), 11_000, 10_000, 'usd')).toMatchObject({
      text: '+10.0%',
      tone: 'bad',
    });
    expect(figureChange(figure('revenue.refunds'), 1_900, 0, 'usd')!.text).toBe('+$19.00 (from 0)');
    expect(figureChange(figure('revenue.quickRatio'), 1.86, 1.93, 'usd')!.text).toBe('-0.07');
    expect(figureChange(figure('revenue.mrr'), 5, null, 'usd')).toBeNull();
    // One day against another is not a trend: the last day's DAU is not compared.
    expect(figureChange(figure('engagement.dau'), 35, 85, 'usd')).toBeNull();
    expect(formatChange({ absolute: -50, relative: -0.588 }, 'none', 'count', 'usd').text).toBe(
      'not compared',
    );
  });

  it('never shows a sign or a colour for a change that rounds to zero (no green ▲ 0.0%)', () => {
    expect(figureChange(figure('revenue.mrr'), 100_001, 100_000, 'usd')).toMatchObject({
      text: '0.0%',
      direction: 'flat',
      tone: 'neutral',
    });
    expect(figureChange(figure('users.activationRate'), 0.5, 0.5004, 'usd')).toMatchObject({
      text: '0.0 pp',
      direction: 'flat',
    });
    expect(figureChange(figure('revenue.mrr'), 0, 0, 'usd')!.text).toBe('0.0%');
    expect(figureChange(figure('revenue.movements.net'), -500, 0, 'usd')!.text).toBe('-$5.00 (from 0)');
  });

  it('formats values and changes without "-0", NaN or Infinity (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...figureCatalog),
        fc.option(fc.integer({ min: -10_000_000, max: 10_000_000 }).map((x) => x / 1000)),
        fc.option(fc.integer({ min: -10_000_000, max: 10_000_000 }).map((x) => x / 1000)),
        fc.constantFrom('usd', 'jpy', 'huf', 'kwd'),
        (f, current, previous, currency) => {
          const c =
            current === null
              ? null
              : f.unit === 'money' || f.unit === 'count'
                ? Math.round(current)
                : current;
          const p =
            previous === null
              ? null
              : f.unit === 'money' || f.unit === 'count'
                ? Math.round(previous)
                : previous;
          for (const text of [formatFigure(f, c, currency), figureChange(f, c, p, currency)?.text ?? '']) {
            expect(text).not.toMatch(/^[-+−][^0-9]*0(\.0+)?( pp|%)?$|NaN|Infinity|−/);
          }
          const change = figureChange(f, c, p, currency);
          if (change && change.direction === 'flat') expect(change.text).not.toMatch(/^[-+]/);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('covers every figure of the growth report and the report uses its labels', () => {
    const keys = new Set(figureCatalog.map((f) => f.key));
    const sections = new Set<string>(sectionIds);
    for (const f of figureCatalog)
      if (sections.has(f.section)) expect(f.read(fixtureCurrent), f.key).not.toBeUndefined();
    expect(growthReportSchema.shape.version.value).toBe(2);
    expect(keys.has('engagement.averageDau')).toBe(true);
    expect(formatChange(null, 'relative', 'count', 'usd').text).toBe('n/a');
    expect(formatValue(-0, 'count', 'usd')).toBe('0');
    expect(formatValue(-0.001, 'number', 'usd')).toBe('0');
    expect(formatValue(150000, 'money', 'huf')).toBe('HUF\u00a01,500.00');
  });

  it('is the table in the package README (UPDATE_README=1 rewrites it)', () => {
    const readme = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'README.md');
    const text = readFileSync(readme, 'utf8');
    const begin = '<!-- figure-catalog:begin (generated by src/figures.test.ts) -->';
    const end = '<!-- figure-catalog:end -->';
    const i = text.indexOf(begin);
    const j = text.indexOf(end);
    expect(i, 'README has the figure catalog markers').toBeGreaterThan(-1);
    const wanted = `${text.slice(0, i + begin.length)}\n${figureCatalogMarkdown()}\n${text.slice(j)}`;
    if (process.env.UPDATE_README) writeFileSync(readme, wanted);
    expect(text).toBe(wanted);
  });
});
