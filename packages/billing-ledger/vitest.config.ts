import { projectConfig } from '../../tooling/vitest/shared.ts';

// Simulated Stripe streams of a few thousand events take tens of seconds on a busy 2-core machine.
export default projectConfig({ database: true, testTimeout: 120_000 });
