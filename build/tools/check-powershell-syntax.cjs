// Parses PowerShell files with tree-sitter-powershell and reports every syntax error it finds.
// Usage: node check-powershell-syntax.cjs <file>...
// Prints one JSON line per file: {"file":..., "errors":[{"line":..,"column":..,"kind":..,"text":..}]}
// Exit code: 0 when every file parsed cleanly, 1 when any file has an error, 2 on a usage problem.
'use strict';
const { createParser, readSource, collectErrors, fileArguments, run } = require('./powershell-grammar.cjs');

async function main() {
  const files = fileArguments();
  const parser = await createParser();
  let failed = false;
  for (const file of files) {
    const tree = parser.parse(readSource(file));
    const errors = [];
    collectErrors(tree.rootNode, errors);
    if (errors.length > 0) failed = true;
    process.stdout.write(JSON.stringify({ file, errors }) + '\n');
  }
  process.exit(failed ? 1 : 0);
}

run(main);
