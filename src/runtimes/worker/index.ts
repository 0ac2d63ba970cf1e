import type { RuntimeFactory } from '../../core/runtime.js';
import { WorkerRuntime } from './runtime.js';

/** The `worker` runtime factory: a long-lived process per agent speaking the worker protocol (docs/worker-protocol.md). */
export const createWorkerRuntime: RuntimeFactory = (agent, host, settings) => new WorkerRuntime(agent, host, settings);
