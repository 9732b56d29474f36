export * from './dump.ts';
export * from './factory.ts';
export * from './history.ts';
export * from './rng.ts';
export * from './simulate.ts';
