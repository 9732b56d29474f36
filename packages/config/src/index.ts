export {
  describeEnv,
  EnvError,
  type EnvIssue,
  type EnvShape,
  readEnv,
} from './read-env.ts';
export * as envSchemas from './schemas.ts';
