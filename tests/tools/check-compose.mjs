// node check-compose.mjs DIR [STAGE]: validate DIR/serverless-compose.yml offline with
// @serverless/compose's own code: configuration schema, variables, each service's inputs,
// unknown dependsOn and cycles. Its CLI entry point is never loaded (it sends telemetry).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const require = createRequire(import.meta.url);
const base = join(require.resolve('@serverless/compose/package.json'), '..');
const load = (path) => require(join(base, path));
const resolveConfigurationPath = load('src/configuration/resolve-path');
const readConfiguration = load('src/configuration/read');
const { validateConfiguration, validateComponentInputs } = load('src/configuration/validate');
const resolveConfigurationVariables = load('src/configuration/resolve-variables');
const ComponentsService = load('src/ComponentsService');
const framework = load('components/framework');

const [dir, stage = 'dev'] = process.argv.slice(2);
process.chdir(resolve(dir)); // compose looks for its file in the working directory
try {
  const path = await resolveConfigurationPath();
  const configuration = await readConfiguration(path);
  validateConfiguration(configuration, path);
  await resolveConfigurationVariables(configuration, path, stage);
  for (const [name, inputs] of Object.entries(configuration.services)) {
    if (inputs.component) throw new Error(`service ${name}: only the Serverless Framework component is expected`);
    validateComponentInputs(name, structuredClone(framework.SCHEMA), inputs); // it mutates the schema
    if (!existsSync(resolve(inputs.path))) throw new Error(`service ${name}: no folder ${inputs.path}`);
  }
  await new ComponentsService({}, configuration, {}).init(); // references, dependsOn, cycles
} catch (error) {
  console.error(`${dir}: [${error.code ?? error.name}] ${error.message}`);
  process.exit(1);
}
