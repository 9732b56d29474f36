import { ensureEmbeddedServer } from '../../src/embedded.ts';

// Run as a separate process by the embedded-server tests: "another process of the project".
const server = await ensureEmbeddedServer({ dataDir: process.argv[2]! });
process.stdout.write(JSON.stringify({ port: server.port, pid: server.pid, started: server.started }));
