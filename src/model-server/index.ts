/** The scripted model server: Anthropic, OpenAI Responses and Gemini APIs replaying a script. See docs/model-server.md. */
export { createModelServer, DEFAULT_USAGE, type LoggedRequest, type ModelServer, type ModelServerOptions } from './server.js';
export { FAULTS, loadScript, NEUTRAL_TOOLS, parseScript, type Fault, type Script, type ToolCall, type Turn } from './script.js';
export { AGENT_CLIS, CODEX_KEY_VAR, cliSetup, type AgentCli, type CliSetup, type CliSetupOptions } from './clients.js';
export type { ApiName } from './wire.js';
