import type { TaskInput } from '../../core/task-input.js';
import type { AgentSpec } from '../../core/store.js';

/** The demo's agents: four command agents with different capabilities, all in the demo repository. */
export function demoAgents(repo: string, script: string, node: string): AgentSpec[] {
  const gitEnv = { GIT_AUTHOR_NAME: 'Hive Demo', GIT_AUTHOR_EMAIL: 'demo@hive.invalid', GIT_COMMITTER_NAME: 'Hive Demo', GIT_COMMITTER_EMAIL: 'demo@hive.invalid' };
  const agent = (name: string, role: string, capabilities: string[], slots: number): AgentSpec => ({
    name,
    role,
    capabilities,
    runtime: { kind: 'command', command: [node, script, '{prompt}'] },
    slots,
    env: gitEnv,
    workdir: repo,
    limits: { timeoutMs: 30_000, memoryMb: 0, contextTokens: 0, costBudgetUsd: 0 },
  });
  return [
    agent('planner', 'architect', ['plan'], 1),
    agent('coder', 'developer', ['code', 'js'], 2),
    agent('tester', 'qa', ['test', 'js'], 2),
    agent('integrator', 'maintainer', ['git', 'review'], 2),
  ];
}

const OPS = ['add', 'sub', 'mul', 'div'] as const;

/**
 * The demo's tasks, submitted in one call with refs: plan → implement ×4 → test ×4 + index → full test →
 * review and two commits that share the `git` lock. `div` fails once and succeeds on retry.
 */
export function demoTasks(): TaskInput[] {
  const tasks: TaskInput[] = [{ ref: 'plan', title: 'Plan the calculator library', prompt: 'plan a calculator library', priority: 'high', capabilities: ['plan'] }];
  for (const op of OPS) {
    const flaky = op === 'div';
    tasks.push({
      ref: `impl-${op}`,
      title: `Implement ${op}`,
      prompt: `implement op=${op}${flaky ? ' flaky' : ''}`,
      priority: flaky ? 'high' : 'medium',
      capabilities: ['code', 'js'],
      dependsOn: ['plan'],
      maxAttempts: 3,
      backoffMs: 200,
      backoffCapMs: 400,
    });
    tasks.push({ ref: `test-${op}`, title: `Test ${op}`, prompt: `test op=${op}`, priority: op === 'add' ? 'low' : 'medium', capabilities: ['test', 'js'], dependsOn: [`impl-${op}`] });
  }
  tasks.push({ ref: 'index', title: 'Write the index module', prompt: 'index', priority: 'low', capabilities: ['code'], dependsOn: OPS.map((o) => `impl-${o}`) });
  tasks.push({ ref: 'all', title: 'Run the whole test suite', prompt: 'test-all', priority: 'high', capabilities: ['test'], dependsOn: ['index', ...OPS.map((o) => `test-${o}`)] });
  tasks.push({ ref: 'review', title: 'Review the change', prompt: 'review', priority: 'critical', capabilities: ['review'], dependsOn: ['all'] });
  tasks.push({ ref: 'commit-src', title: 'Commit the sources', prompt: 'commit paths=src,PLAN.md add the calculator modules', capabilities: ['git'], dependsOn: ['all'], locks: ['git'] });
  tasks.push({ ref: 'commit-tests', title: 'Commit the tests', prompt: 'commit paths=test add the calculator tests', capabilities: ['git'], dependsOn: ['all'], locks: ['git'] });
  tasks.push({ ref: 'commit-review', title: 'Commit the review', prompt: 'commit paths=REVIEW.md add the review', priority: 'low', capabilities: ['git'], dependsOn: ['review'], locks: ['git'] });
  return tasks;
}

/**
 * The demo's workflow, run after the tasks: plan → implement and write tests for each new operation in
 * parallel (for_each) → the whole suite → review if it passed, else fix (the other branch is skipped) →
 * commit, under the same `git` lock.
 */
export const DEMO_WORKFLOW = {
  name: 'calculator-feature',
  description: 'add operations to the calculator: plan, parallel work, tests, conditional review or fix, commit',
  inputs: { ops: { type: 'array', default: ['pow', 'mod'], description: 'operations to add' } },
  steps: {
    plan: { caps: ['plan'], prompt: "plan-ops ops={{join(inputs.ops, ',')}}", priority: 'high' },
    implement: { caps: ['code'], needs: ['plan'], for_each: 'steps.plan.result.ops', prompt: 'implement op={{item}}', title: 'Implement {{item}}' },
    write_tests: { caps: ['test'], needs: ['plan'], for_each: 'steps.plan.result.ops', prompt: 'write-test op={{item}}', title: 'Write the test of {{item}}' },
    tests: { caps: ['test'], needs: ['implement', 'write_tests'], prompt: 'test-all', title: 'Run the whole test suite' },
    review: { caps: ['review'], needs: ['tests'], if: 'steps.tests.result.passed == true', prompt: 'review' },
    fix: { caps: ['code'], needs: ['tests'], if: 'steps.tests.result.passed != true', prompt: 'fix' },
    commit: {
      caps: ['git'],
      needs: ['review', 'fix'],
      locks: ['git'],
      prompt: "commit paths=src,test,PLAN.md,REVIEW.md add {{join(steps.plan.result.ops, ' and ')}} ({{steps.tests.result.tests}} tests pass)",
      title: 'Commit the new operations',
    },
  },
};
