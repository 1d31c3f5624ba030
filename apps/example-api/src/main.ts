import 'reflect-metadata';
import { createExampleApi } from './app.factory';
import { ExampleConfigError, loadExampleConfig } from './config';

async function main(): Promise<void> {
  let config;
  try {
    config = loadExampleConfig(process.env);
  } catch (error) {
    if (!(error instanceof ExampleConfigError)) throw error;
    for (const problem of error.problems) process.stderr.write(`Configuration error: ${problem}\n`);
    process.exit(1);
  }
  try {
    const app = await createExampleApi(config);
    // SIGTERM/SIGINT: close the app, which stops the verifier's revocation feed.
    app.enableShutdownHooks();
    await app.listen({ port: config.port, host: config.host });
    const address = app.getHttpServer().address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    process.stdout.write(`Example API listening on http://${config.host}:${port} (issuer ${config.verifier.issuer})\n`);
  } catch (error) {
    process.stderr.write(`Example API could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

void main();
