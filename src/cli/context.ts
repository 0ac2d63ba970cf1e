import { fieldError } from '../core/errors.js';
import { parseDuration } from '../core/duration.js';
import { createHive, type CreateHiveOptions } from '../index.js';
import type { Orchestrator } from '../engine/orchestrator.js';
import { loadConfig, type ConfigOverrides, type LoadedConfig } from './config.js';

/** Flags every command takes (declared on the root program). */
export type GlobalFlags = ConfigOverrides;

/** Loads the configuration and opens the data directory; the orchestrator is not started. */
export async function openHive(flags: GlobalFlags, extra: CreateHiveOptions = {}): Promise<{ hive: Orchestrator; config: LoadedConfig }> {
  const config = loadConfig(flags, process.env);
  const hive = await createHive({ ...config.options, ...extra });
  return { hive, config };
}

/** Runs `fn` with an opened (not started) orchestrator and closes the store after. */
export async function withHive<T>(flags: GlobalFlags, fn: (hive: Orchestrator, config: LoadedConfig) => Promise<T>): Promise<T> {
  const { hive, config } = await openHive(flags);
  try {
    return await fn(hive, config);
  } finally {
    await hive.store.close();
  }
}

export function parseId(value: string, what = 'task id'): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw fieldError(what.replace(' ', '_'), 'expected a positive integer', `${what}: expected a positive integer, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

export function parseIntFlag(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || n < min || n > max) {
    throw fieldError(flag, `expected an integer from ${min} to ${max}`, `--${flag}: expected an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

export function parseDurationFlag(value: string | undefined, flag: string): number | undefined {
  return value === undefined ? undefined : parseDuration(value, `--${flag}`);
}

/** Commander collector for repeatable options. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
