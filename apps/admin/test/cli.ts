import { PassThrough } from 'node:stream';
import { main } from '../../reports/src/program.ts';

/** Runs `org-reports` in-process (the CLI the dashboard's figures must agree with); parses stdout as JSON. */
export async function cliJson<T = unknown>(argv: string[], env: Record<string, string>): Promise<T> {
  const stdout = new PassThrough();
  const stderr = new PassThrough() as PassThrough & NodeJS.WriteStream;
  let out = '';
  let err = '';
  stdout.on('data', (c) => {
    out += c;
  });
  stderr.on('data', (c) => {
    err += c;
  });
  const code = await main(argv, { env, stdout, stderr });
  if (code !== 0) throw new Error(`org-reports ${argv.join(' ')} exited ${code}: ${err}`);
  return JSON.parse(out) as T;
}
