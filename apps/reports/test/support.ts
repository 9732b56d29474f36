import { PassThrough } from 'node:stream';
import { main } from '../src/program.ts';

/** Runs org-reports in-process with captured output, as a shell would see it. */
export async function runCli(argv: string[], env: Record<string, string | undefined>) {
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
  return { code, stdout: out, stderr: err };
}
