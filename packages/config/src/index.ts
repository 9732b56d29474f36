export {
  type EnvIssue,
  EnvError,
  readEnv,
  describeEnv,
  type EnvShape,
} from './read-env.ts';
export * as envSchemas from './schemas.ts';
