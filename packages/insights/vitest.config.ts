import { projectConfig } from '../../tooling/vitest/shared.ts';

// The collector's tests read a real database (test/collect.test.ts).
export default projectConfig({ database: true });
