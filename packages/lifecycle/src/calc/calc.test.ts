import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { engagementScore } from './score.ts';
import { classifyStage, type StageInput, stages } from './stage.ts';

describe('engagement score', () => {
  it('follows the METRICS.md formula', () => {
    expect(engagementScore({ daysSinceActive: 0, activeDaysIn28: 20, distinctFeaturesIn28: 5 })).toBe(100);
    expect(engagementScore({ daysSinceActive: null, activeDaysIn28: 0, distinctFeaturesIn28: 0 })).toBe(0);
    // 100 x (0.4 e^-1 + 0.4 x 10/20 + 0.2 x 2/5) = 14.7152 + 20 + 8
    expect(engagementScore({ daysSinceActive: 7, activeDaysIn28: 10, distinctFeaturesIn28: 2 })).toBe(42.72);
  });
  it('stays within [0, 100] and never rises with inactivity (property)', () => {
    fc.assert(
      fc.property(fc.nat(400), fc.nat(28), fc.nat(50), (days, active, features) => {
        const s = engagementScore({
          daysSinceActive: days,
          activeDaysIn28: active,
          distinctFeaturesIn28: features,
        });
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(100);
        expect(
          engagementScore({
            daysSinceActive: days + 1,
            activeDaysIn28: active,
            distinctFeaturesIn28: features,
          }),
        ).toBeLessThanOrEqual(s);
      }),
    );
  });
});

describe('stage classification', () => {
  const base: StageInput = {
    previous: null,
    score: 10,
    daysSinceActive: 0,
    activated: false,
    paying: false,
    everPaid: false,
  };
  it('walks new -> activated -> engaged <-> at_risk -> dormant', () => {
    expect(classifyStage(base)).toBe('new');
    expect(classifyStage({ ...base, activated: true })).toBe('activated');
    expect(classifyStage({ ...base, activated: true, score: 70, previous: 'activated' })).toBe('engaged');
    expect(classifyStage({ ...base, activated: true, score: 50, previous: 'engaged' })).toBe('engaged');
    expect(classifyStage({ ...base, activated: true, score: 30, previous: 'engaged' })).toBe('at_risk');
    expect(classifyStage({ ...base, activated: true, score: 50, previous: 'at_risk' })).toBe('at_risk');
    expect(classifyStage({ ...base, activated: true, score: 65, previous: 'at_risk' })).toBe('engaged');
    expect(
      classifyStage({ ...base, activated: true, score: 65, previous: 'engaged', daysSinceActive: 15 }),
    ).toBe('at_risk');
    expect(classifyStage({ ...base, daysSinceActive: 30, previous: 'at_risk' })).toBe('dormant');
  });
  it('takes paying and churned from the ledger', () => {
    expect(classifyStage({ ...base, score: 80, paying: true, everPaid: true })).toBe('paying');
    expect(classifyStage({ ...base, score: 20, paying: true, everPaid: true })).toBe('at_risk');
    expect(classifyStage({ ...base, score: 80, paying: false, everPaid: true })).toBe('churned');
  });
  it('always yields a known stage (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          previous: fc.constantFrom(null, ...stages),
          score: fc.double({ min: 0, max: 100, noNaN: true }),
          daysSinceActive: fc.option(fc.nat(400)),
          activated: fc.boolean(),
          paying: fc.boolean(),
          everPaid: fc.boolean(),
        }),
        (input) => {
          const s = classifyStage({ ...input, everPaid: input.everPaid || input.paying });
          expect(stages).toContain(s);
        },
      ),
    );
  });
});
