// Loads the tree-sitter-powershell grammar into a web-tree-sitter parser, for the scripts in this folder.
'use strict';
// The grammar is a large WebAssembly module: V8's optimizing tier would recompile it in the background and
// hold the process open for seconds at exit. The baseline compiler parses these files in milliseconds.
// The flag has to be set before the module is compiled, so the scripts require this file first.
require('v8').setFlagsFromString('--liftoff-only');
const fs = require('fs');
const path = require('path');
const { Parser, Language } = require('web-tree-sitter');

/** A parser set up for PowerShell. */
async function createParser() {
  await Parser.init();
  const grammar = path.join(path.dirname(require.resolve('tree-sitter-powershell/package.json')), 'tree-sitter-powershell.wasm');
  const language = await Language.load(grammar);
  const parser = new Parser();
  parser.setLanguage(language);
  return parser;
}

/** A file's text as UTF-8, without the byte order mark PowerShell files often start with. */
function readSource(file) {
  const text = fs.readFileSync(file, 'utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Appends every syntax error under a node: unexpected input and missing tokens, with 1-based positions. */
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

/** The files named on the command line; with none, prints the script's usage and exits with 2. */
function fileArguments() {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error(`usage: node ${path.basename(process.argv[1])} <file>...`);
    process.exit(2);
  }
  return files;
}

/** Runs an async main, printing the error and exiting with 2 (a usage or tool problem) when it throws. */
function run(main) {
  main().catch((e) => { console.error(e && e.stack ? e.stack : String(e)); process.exit(2); });
}

module.exports = { createParser, readSource, collectErrors, fileArguments, run };
