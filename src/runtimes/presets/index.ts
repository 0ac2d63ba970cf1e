/** Stream parsers for the coding-agent CLIs Hive runs headless. See docs/agents.md. */
export type { AgentEvent, MessageRole, StreamParser, TokenUsage, ToolStatus } from './events.js';
export { estimateCost, findPrice, PRICES, type ModelPrice, type PriceOverrides } from './prices.js';
export { createClaudeCodeParser, type ClaudeCodeParserOptions } from './claude-code.js';
export { createCodexParser, type CodexParserOptions } from './codex.js';
export { createGeminiParser, GEMINI_EXIT_REASONS, type GeminiParserOptions } from './gemini.js';
export { createAiderParser, parseTokenCount, type AiderParserOptions } from './aider.js';
