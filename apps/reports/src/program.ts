import { Command, CommanderError, Option } from 'commander';
import { commands } from './commands/index.ts';
import { type CommandContext, createContext } from './context.ts';
import { readCliEnv } from './env.ts';
import { exitCodeFor } from './error-table.ts';
import { ExitCode, type ExitCodeValue } from './exit-codes.ts';
import { colour, createOutput } from './output.ts';

export interface Io {
  env: Record<string, string | undefined>;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
}

export type Handler<A extends unknown[]> = (
  ctx: CommandContext,
  ...args: A
) => Promise<ExitCodeValue | undefined>;

/** Wraps a command handler: validated env, output mode from --json, errors mapped to exit codes. */
export type Action = <A extends unknown[]>(handler: Handler<A>) => (...args: unknown[]) => Promise<void>;

export interface CommandModule {
  register(program: Command, action: Action): void;
}

/** `--json` on every command that prints a result. */
export const jsonOption = () => new Option('--json', 'print machine-readable JSON on stdout');

export function buildProgram(io: Io, setExit: (code: ExitCodeValue) => void): Command {
  const program = new Command('org-reports')
    .description(
      'Revenue and growth telemetry for Supabase + Stripe: migrations, ledger, reports, audits, demo.',
    )
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(colour.red(s)),
    })
    .exitOverride();

  const action: Action =
    (handler) =>
    async (...args) => {
      const command = args.at(-1) as Command;
      const json = Boolean(command.opts().json);
      const out = createOutput({ json, stdout: io.stdout, stderr: io.stderr });
      let ctx: ReturnType<typeof createContext> | undefined;
      try {
        ctx = createContext(readCliEnv(io.env), out, io.env);
        const code = await handler(ctx, ...(args.slice(0, -1) as never));
        setExit(code ?? ExitCode.ok);
      } catch (error) {
        const { code, message } = exitCodeFor(error);
        io.stderr.write(`${colour.red('error')} ${message}\n`);
        setExit(code);
      } finally {
        await ctx?.close();
      }
    };

  for (const module of commands) module.register(program, action);
  return program;
}

/** Runs the CLI; resolves to the exit code instead of exiting, so tests can call it. */
export async function main(argv: string[], io: Io): Promise<ExitCodeValue> {
  let exit: ExitCodeValue = ExitCode.ok;
  const program = buildProgram(io, (code) => {
    exit = code;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      )
        return ExitCode.ok;
      return ExitCode.usage;
    }
    throw error;
  }
  return exit;
}
