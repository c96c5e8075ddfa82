// node check-asyncapi.mjs FILE...: validate with @asyncapi/parser; exit 1 on any error diagnostic.
import { resolve } from 'node:path';
import { DiagnosticSeverity, Parser, fromFile } from '@asyncapi/parser';

const parser = new Parser();
let failed = 0;
for (const file of process.argv.slice(2)) {
  const { document, diagnostics } = await fromFile(parser, resolve(file)).parse();
  const errors = diagnostics.filter((item) => item.severity === DiagnosticSeverity.Error);
  for (const item of errors) {
    const line = item.range ? item.range.start.line + 1 : 0;
    console.error(`${file}:${line}: ${item.code}: ${item.message} (at ${item.path.join('.')})`);
  }
  if (errors.length || !document) failed += 1;
}
process.exit(failed ? 1 : 0);
