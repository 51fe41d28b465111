// Lists the command invocations and the hashtable literals of PowerShell files, parsed with tree-sitter-powershell.
// Usage: node list-powershell-commands.cjs <file>...
// A .md file contributes the bodies of its ```powershell fenced blocks; line numbers are those of the .md file.
// Prints one JSON line per file:
//   {"file":..,
//    "commands":[{"name":"Get-DrRun","line":3,
//                 "parameters":[{"name":"Last","line":3}],          (-Last 1, -Confirm:$false -> Confirm)
//                 "splats":[{"variable":"signIn","line":3}]}],     (@signIn)
//    "hashtables":[{"variable":"signIn","line":1,"operator":"=",   ($signIn = @{ ... } or += @{ ... })
//                   "keys":[{"name":"AccessToken","line":2}]}],
//    "errors":[{"line":..,"column":..,"kind":..,"text":..}]}      (syntax errors, as check-powershell-syntax.cjs reports them)
// Only commands invoked by a literal name are listed (Get-DrRun, & Get-DrRun, Module\Get-DrRun), and only hashtable
// keys that are constants (a bare name, a quoted string without expansions, a number).
// Variable names are given without their sigil and scope ($script:x -> x).
// Exit code: 0 when every file was read, 2 on a usage problem.
'use strict';
const { createParser, readSource, collectErrors, fileArguments, run } = require('./powershell-grammar.cjs');

/** Grammar nodes that only wrap one inner expression when they have a single named child: precedence levels and the like. */
const WRAPPERS = new Set([
  'pipeline', 'pipeline_chain', 'left_assignment_expression', 'key_expression', 'logical_expression', 'bitwise_expression',
  'comparison_expression', 'additive_expression', 'multiplicative_expression', 'format_expression', 'range_expression',
  'array_literal_expression', 'unary_expression', 'string_literal', 'integer_literal',
]);

/** The one named child a node holds, or null when it holds none or several. */
function onlyNamedChild(node) {
  return node.namedChildCount === 1 ? node.namedChild(0) : null;
}

/**
 * The expression a chain of wrappers comes down to. A cast such as [ordered] or [hashtable] is looked through;
 * other unary operators (-not, a leading comma) are not, as they change what the expression is.
 */
function unwrap(node) {
  for (;;) {
    const single = onlyNamedChild(node);
    const inner = node.type === 'cast_expression' ? node.namedChild(node.namedChildCount - 1)
      : node.type === 'expression_with_unary_operator' && single !== null && single.type === 'cast_expression' ? single
        : WRAPPERS.has(node.type) ? single : null;
    if (inner === null) return node;
    node = inner;
  }
}

function variableName(text) {
  return text.replace(/^[$@]/, '').replace(/^\{(.*)\}$/, '$1').replace(/^(script|global|local|private):/i, '');
}

/** The name of a command invoked by a literal name, or null for `& $block`, `& 'name'` and the like. */
function commandName(command) {
  const name = command.childForFieldName('command_name');
  if (name === null) return null;
  if (name.type === 'command_name') return name.text;
  const path = name.type === 'command_name_expr' ? onlyNamedChild(name) : null;
  const token = path !== null && path.type === 'path_command_name' ? onlyNamedChild(path) : null;
  return token !== null && token.type === 'path_command_name_token' ? token.text : null;
}

function describeCommand(command, lineOffset) {
  const parameters = [];
  const splats = [];
  const elements = command.childForFieldName('command_elements');
  for (let i = 0; elements !== null && i < elements.namedChildCount; i++) {
    const element = elements.namedChild(i);
    const line = element.startPosition.row + 1 + lineOffset;
    if (element.type === 'command_parameter') {
      parameters.push({ name: element.text.replace(/^-/, '').replace(/:$/, ''), line });
      continue;
    }
    const value = unwrap(element);
    if (value.type === 'variable' && value.text.startsWith('@')) {
      splats.push({ variable: variableName(value.text), line });
    }
  }
  return { line: command.startPosition.row + 1 + lineOffset, parameters, splats };
}

/** A hash_entry's key when it is a constant, else null. */
function constantKey(entry) {
  const keyExpression = entry.namedChildren.find((c) => c.type === 'key_expression');
  if (!keyExpression) return null;
  const key = unwrap(keyExpression);
  switch (key.type) {
    case 'simple_name':
    case 'decimal_integer_literal':
      return key.text;
    case 'verbatim_string_characters':
      return key.text.slice(1, -1).replace(/''/g, "'");
    case 'expandable_string_literal':
      // Without a variable, a sub-expression or an escape, the text between the quotes is the key.
      return key.namedChildCount === 0 && !/[`$]/.test(key.text) ? key.text.slice(1, -1) : null;
    default:
      return null;
  }
}

function describeHashtableAssignment(assignment, lineOffset) {
  const target = unwrap(assignment.namedChild(0));
  const value = assignment.childForFieldName('value');
  const operator = assignment.namedChildren.find((c) => c.type === 'assignement_operator');
  if (target.type !== 'variable' || value === null || !operator) return null;
  const literal = unwrap(value);
  if (literal.type !== 'hash_literal_expression') return null;
  const keys = [];
  const body = literal.namedChildren.find((c) => c.type === 'hash_literal_body');
  for (const entry of body ? body.namedChildren : []) {
    if (entry.type !== 'hash_entry') continue;
    const name = constantKey(entry);
    if (name !== null) keys.push({ name, line: entry.startPosition.row + 1 + lineOffset });
  }
  return {
    variable: variableName(target.text),
    line: assignment.startPosition.row + 1 + lineOffset,
    operator: operator.text,
    keys,
  };
}

function collect(node, lineOffset, out) {
  if (node.type === 'command') {
    const name = commandName(node);
    if (name !== null) out.commands.push({ name, ...describeCommand(node, lineOffset) });
  } else if (node.type === 'assignment_expression') {
    const hashtable = describeHashtableAssignment(node, lineOffset);
    if (hashtable !== null) out.hashtables.push(hashtable);
  }
  for (let i = 0; i < node.namedChildCount; i++) collect(node.namedChild(i), lineOffset, out);
}

/** The ```powershell blocks of a Markdown text: each body with the number of lines above it. */
function powershellBlocks(markdown) {
  const lines = markdown.split(/\r?\n/);
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i]);
    if (!open) continue;
    const fence = open[1];
    let end = i + 1;
    while (end < lines.length && !new RegExp('^ {0,3}' + fence[0] + '{' + fence.length + ',}\\s*$').test(lines[end])) end++;
    if (open[2].toLowerCase() === 'powershell') {
      blocks.push({ text: lines.slice(i + 1, end).join('\n'), lineOffset: i + 1 });
    }
    i = end;
  }
  return blocks;
}

async function main() {
  const files = fileArguments();
  const parser = await createParser();
  for (const file of files) {
    const text = readSource(file);
    const sources = /\.md$/i.test(file) ? powershellBlocks(text) : [{ text, lineOffset: 0 }];
    const out = { file, commands: [], hashtables: [], errors: [] };
    for (const source of sources) {
      const tree = parser.parse(source.text);
      collect(tree.rootNode, source.lineOffset, out);
      const errors = [];
      collectErrors(tree.rootNode, errors);
      out.errors.push(...errors.map((e) => ({ ...e, line: e.line + source.lineOffset })));
    }
    process.stdout.write(JSON.stringify(out) + '\n');
  }
  process.exit(0);
}

run(main);
