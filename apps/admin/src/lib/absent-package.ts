// Stands in for an optional dependency that is not installed on this platform (see next.config.ts).
throw new Error('This optional package is not installed on this platform.');
