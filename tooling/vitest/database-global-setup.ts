import { prepareTestTemplate, testSettings } from '../../packages/db/src/testing.ts';

export default async function setup(): Promise<void> {
  await prepareTestTemplate(testSettings());
}
