import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildProgram, type Io } from '../src/program.ts';

/**
 * Every workflow parses, and every `org-reports` command a workflow runs exists in the CLI with
 * the flags it passes. The CLI is introspected (commander's tree from `buildProgram`), so a
 * workflow calling a command that does not exist yet fails here until the command is registered.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dir = path.join(root, '.github/workflows');
const files = readdirSync(dir).filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'));

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  name?: string;
  on: Record<string, unknown>;
  jobs: Record<string, { steps?: Step[]; 'runs-on'?: string }>;
}

const load = (file: string) => parse(readFileSync(path.join(dir, file), 'utf8')) as Workflow;

const sink = Object.assign(new (class {})(), { write: () => true }) as unknown as NodeJS.WriteStream;
const io: Io = { env: {}, stdout: sink, stderr: sink };
const program = buildProgram(io, () => {});

/** Shell words of a script line, quotes removed; operators end an invocation. */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\|\||&&|[|;&]|\d?>>?|<)|([^\s"'|;&<>]+)/g;
  for (const m of line.matchAll(re)) {
    if (m[3] !== undefined) out.push(`\u0000${m[3]}`);
    else out.push(m[1] ?? m[2] ?? m[4] ?? '');
  }
  return out;
}

/** `pnpm org-reports a b --flag value ...` invocations in a run script. */
export function invocations(script: string): string[][] {
  const joined = script.replace(/\\\n/g, ' ');
  const found: string[][] = [];
  for (const line of joined.split('\n')) {
    const w = words(line);
    for (let i = 0; i < w.length; i++) {
      if (w[i] !== 'org-reports') continue;
      const args: string[] = [];
      for (let j = i + 1; j < w.length && !w[j]!.startsWith('\u0000'); j++) args.push(w[j]!);
      found.push(args);
    }
  }
  return found;
}

const longFlags = (cmd: Command) =>
  new Set(cmd.options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f))));

/** Resolves the command path, then checks each flag; returns the problems found. */
function check(args: string[]): string[] {
  let cmd: Command = program;
  let i = 0;
  for (; i < args.length && !args[i]!.startsWith('-'); i++) {
    const sub = cmd.commands.find((c) => c.name() === args[i] || c.aliases().includes(args[i]!));
    if (!sub) {
      if (cmd === program || (cmd.commands.length > 0 && cmd.registeredArguments.length === 0)) {
        return [
          `unknown command "${args.slice(0, i + 1).join(' ')}" (org-reports has: ${cmd.commands.map((c) => c.name()).join(', ')})`,
        ];
      }
      break; // a positional argument of the command
    }
    cmd = sub;
  }
  const problems: string[] = [];
  const flags = longFlags(cmd);
  for (const arg of args.slice(i)) {
    if (!arg.startsWith('-') || arg === '--') continue;
    const flag = arg.split('=')[0]!;
    if (flag === '--help' || flag === '-h') continue;
    if (!flags.has(flag))
      problems.push(`"${cmd.name()}" has no option ${flag} (it has: ${[...flags].join(', ')})`);
  }
  return problems;
}

describe('GitHub workflows', () => {
  it('are all present', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'ci.yml',
        'growth-report.yml',
        'revenue-audit.yml',
        'growth-insights.yml',
        'release.yml',
      ]),
    );
  });

  for (const file of files) {
    describe(file, () => {
      it('parses, has triggers and jobs whose steps use or run something', () => {
        const wf = load(file);
        expect(wf.name).toBeTruthy();
        expect(Object.keys(wf.on ?? {}).length).toBeGreaterThan(0);
        for (const [id, job] of Object.entries(wf.jobs)) {
          expect(job['runs-on'], `${file} job ${id}`).toBeTruthy();
          for (const step of job.steps ?? [])
            expect(Boolean(step.uses) || Boolean(step.run), `${file} job ${id} step ${step.name}`).toBe(true);
        }
      });

      it('runs only org-reports commands and flags that exist', () => {
        const wf = load(file);
        const problems: string[] = [];
        for (const job of Object.values(wf.jobs)) {
          for (const step of job.steps ?? []) {
            for (const args of invocations(step.run ?? ''))
              problems.push(...check(args).map((p) => `${file}: org-reports ${args.join(' ')}: ${p}`));
          }
        }
        expect(problems).toEqual([]);
      });
    });
  }

  it('schedules and inputs match the operations guide', () => {
    const growth = load('growth-report.yml');
    expect(growth.on.schedule).toEqual([{ cron: '0 9 * * 1' }]);
    expect(growth.on.workflow_dispatch).toMatchObject({ inputs: { days: { options: ['7', '30', '90'] } } });
    const growthSteps = Object.values(growth.jobs).flatMap((j) => j.steps ?? []);
    expect(
      growthSteps.find((s) => s.uses?.startsWith('actions/upload-artifact'))?.with?.['retention-days'],
    ).toBe(90);
    const issueStep = growthSteps.find((s) => s.run?.includes('gh issue create'))!;
    for (const label of ['metrics', 'growth', 'automated'])
      expect(issueStep.run).toContain(`--label ${label}`);

    const audit = load('revenue-audit.yml');
    expect(audit.on.schedule).toEqual([{ cron: '0 0 * * *' }]);
    expect(audit.on.workflow_dispatch).toMatchObject({ inputs: { month: { type: 'string' } } });

    expect(load('growth-insights.yml').on.schedule).toEqual([{ cron: '0 9 * * 0' }]);
    const release = Object.values(load('release.yml').jobs).flatMap((j) => j.steps ?? []);
    expect(release.some((s) => s.uses?.startsWith('changesets/action'))).toBe(true);

    for (const file of files) {
      const steps = Object.values(load(file).jobs).flatMap((j) => j.steps ?? []);
      expect(
        steps.some((s) => s.uses === './.github/actions/setup'),
        file,
      ).toBe(true);
    }
  });

  it('finds invocations through quotes, continuations and redirections', () => {
    expect(invocations('set +e\npnpm org-reports audit --month "$MONTH" > out.txt 2>&1\n')).toEqual([
      ['audit', '--month', '$MONTH'],
    ]);
    expect(invocations('pnpm org-reports growth \\\n  --days 7 --format=md | tee x')).toEqual([
      ['growth', '--days', '7', '--format=md'],
    ]);
    expect(check(['no-such-command'])[0]).toMatch(/unknown command "no-such-command"/);
    expect(check(['migrate', '--no-such-flag'])[0]).toMatch(/has no option --no-such-flag/);
    expect(check(['migrate', '--json'])).toEqual([]);
  });
});
