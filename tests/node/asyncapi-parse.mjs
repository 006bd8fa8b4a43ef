// Parse and validate AsyncAPI documents with the official @asyncapi/parser (Spectral ruleset, resolves $refs).
// Usage: node asyncapi-parse.mjs FILE...   Prints one JSON line per file; exit 1 if any file has an error diagnostic.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const { Parser, DiagnosticSeverity } = require('@asyncapi/parser');
const SEVERITY = ['error', 'warning', 'info', 'hint'];

const parser = new Parser();
let failed = false;
for (const file of process.argv.slice(2)) {
  const { document, diagnostics } = await parser.parse(readFileSync(file, 'utf8'), { source: file });
  const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
  const result = {
    file,
    valid: Boolean(document) && errors.length === 0,
    diagnostics: diagnostics.map((d) => ({
      severity: SEVERITY[d.severity], code: d.code, path: d.path.join('.'), message: d.message,
    })),
  };
  if (document) {
    result.version = document.version();
    result.title = document.info().title();
    result.servers = document.servers().all().map((s) => `${s.id()}:${s.protocol()}`);
    result.channels = document.channels().all().map((c) => `${c.id()}=${c.address()}`);
    result.operations = document.operations().all().map((o) => `${o.id()}:${o.action()}`);
  }
  if (!result.valid) failed = true;
  console.log(JSON.stringify(result));
}
process.exit(failed ? 1 : 0);
