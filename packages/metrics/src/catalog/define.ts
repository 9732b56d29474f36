import type { z } from 'zod';

/** One event of a catalog: its category and a zod object for its properties. */
export interface EventDefinition<
  P extends z.ZodType<Record<string, unknown>> = z.ZodType<Record<string, unknown>>,
> {
  category: string;
  description?: string;
  properties: P;
}

export type Catalog = Record<string, EventDefinition>;

export type EventName<C extends Catalog> = Extract<keyof C, string>;
export type EventProperties<C extends Catalog, N extends EventName<C>> = z.input<C[N]['properties']>;

/** Declares a catalog; the identity function keeps the literal names and property types. */
export function defineCatalog<const C extends Catalog>(catalog: C): C {
  for (const name of Object.keys(catalog)) {
    if (!/^[a-z][a-z0-9_]{0,63}$/.test(name))
      throw new Error(`event name "${name}" is not snake_case (at most 64 characters)`);
  }
  return catalog;
}

/** An app's catalog: the core catalog plus its own events (names must not collide). */
export function extendCatalog<const A extends Catalog, const B extends Catalog>(base: A, extra: B): A & B {
  for (const name of Object.keys(extra)) {
    if (name in base) throw new Error(`event "${name}" is already defined in the base catalog`);
  }
  return defineCatalog({ ...base, ...extra }) as A & B;
}
