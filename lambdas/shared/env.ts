import type { FunctionEnvName } from '../../contracts/function-environment';

/**
 * Reads a required environment variable (a name of contracts/function-environment.ts); a missing one is a deployment
 * bug, so fail loudly and by name.
 */
export function requiredEnv(name: FunctionEnvName): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`Environment variable ${name} is required`);
  return value;
}

/** Reads an optional environment variable, returning `fallback` when it is unset or empty. */
export function optionalEnv(name: FunctionEnvName, fallback: string): string {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : value;
}
