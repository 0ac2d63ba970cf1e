import { fieldError } from '../core/errors.js';
import { parseDuration } from '../core/duration.js';
import { createHive, type CreateHiveOptions } from '../index.js';
import type { Orchestrator } from '../engine/orchestrator.js';
import { LocalClient, RemoteClient, type HiveClient } from './client.js';
import { loadConfig, type ConfigOverrides, type LoadedConfig } from './config.js';

/** Flags every command takes (declared on the root program). */
export type GlobalFlags = ConfigOverrides & { server?: string; token?: string };

/** Loads the configuration and opens the data directory; the orchestrator is not started. */
export async function openHive(flags: GlobalFlags, extra: CreateHiveOptions = {}, config: LoadedConfig = loadConfig(flags, process.env)): Promise<{ hive: Orchestrator; config: LoadedConfig }> {
  const hive = await createHive({ ...config.options, hooks: config.hooks, workspaceRoots: config.workspaceRoots, ...extra });
  return { hive, config };
}

/**
 * Runs `fn` with a client: over HTTP when --server (or HIVE_SERVER) is given, with --token (or HIVE_TOKEN);
 * else on the data directory. Either way the command sees the same objects and errors.
 */
export async function withClient<T>(flags: GlobalFlags, fn: (client: HiveClient) => Promise<T>): Promise<T> {
  const server = flags.server || process.env.HIVE_SERVER;
  if (server) {
    if (!/^https?:\/\/[^/]+/.test(server)) throw fieldError('server', `expected a URL such as http://127.0.0.1:4477, got ${JSON.stringify(server)}`);
    const token = flags.token || process.env.HIVE_TOKEN;
    if (!token) throw fieldError('token', 'required with --server (or set HIVE_TOKEN)');
    return fn(new RemoteClient(server.replace(/\/+$/, ''), token));
  }
  const { hive } = await openHive(flags);
  const client = new LocalClient(hive);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
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

/** The global flags (--data, --config, --server, ...) as seen from a subcommand. */
export function globals(cmd: { optsWithGlobals(): unknown }): GlobalFlags {
  return cmd.optsWithGlobals() as GlobalFlags;
}

/** Commander collector for repeatable options. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `--input k=v` (a string; the workflow's declared type converts numbers and booleans) and `--input-json k=JSON`. */
export function parseInputs(plain: string[], json: string[]): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  const put = (flag: string, pair: string, parse: (v: string) => unknown): void => {
    const i = pair.indexOf('=');
    if (i < 1) throw fieldError(flag, 'expected NAME=VALUE', `--${flag}: expected NAME=VALUE, got ${JSON.stringify(pair)}`);
    const k = pair.slice(0, i);
    if (Object.hasOwn(inputs, k)) throw fieldError(flag, `input ${k} given twice`, `--${flag}: input ${k} is given twice`);
    inputs[k] = parse(pair.slice(i + 1));
  };
  for (const p of plain) put('input', p, (v) => v);
  for (const p of json) {
    put('input-json', p, (v) => {
      try {
        return JSON.parse(v);
      } catch (err) {
        throw fieldError('input-json', 'expected NAME=JSON', `--input-json: the value of ${p.slice(0, p.indexOf('='))} is not JSON: ${(err as Error).message}`);
      }
    });
  }
  return inputs;
}
