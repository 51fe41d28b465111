// Parses PowerShell files with tree-sitter-powershell and reports every syntax error it finds.
// Usage: node check-powershell-syntax.cjs <file>...
// Prints one JSON line per file: {"file":..., "errors":[{"line":..,"column":..,"kind":..,"text":..}]}
// Exit code: 0 when every file parsed cleanly, 1 when any file has an error, 2 on a usage problem.
'use strict';
// The grammar is a large WebAssembly module: V8's optimizing tier would recompile it in the background and
// hold the process open for seconds at exit. The baseline compiler parses these files in milliseconds.
require('v8').setFlagsFromString('--liftoff-only');
const fs = require('fs');
const path = require('path');
const { Parser, Language } = require('web-tree-sitter');

function collectErrors(node, out) {
  if (node.isError || node.isMissing) {
    out.push({
      line: node.startPosition.row + 1,
      column: node.startPosition.column + 1,
      kind: node.isMissing ? 'missing ' + node.type : 'unexpected input',
      text: node.text.slice(0, 80),
    });
    if (node.isMissing) return;
  }
  if (!node.hasError && !node.isError) return;
  for (let i = 0; i < node.childCount; i++) collectErrors(node.child(i), out);
}

async function main() {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: node check-powershell-syntax.cjs <file>...');
    process.exit(2);
  }
  await Parser.init();
  const grammar = path.join(path.dirname(require.resolve('tree-sitter-powershell/package.json')), 'tree-sitter-powershell.wasm');
  const language = await Language.load(grammar);
  const parser = new Parser();
  parser.setLanguage(language);
  let failed = false;
  for (const file of files) {
    let text = fs.readFileSync(file, 'utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const tree = parser.parse(text);
    const errors = [];
    collectErrors(tree.rootNode, errors);
    if (errors.length > 0) failed = true;
    process.stdout.write(JSON.stringify({ file, errors }) + '\n');
  }
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { console.error(e && e.stack ? e.stack : String(e)); process.exit(2); });
