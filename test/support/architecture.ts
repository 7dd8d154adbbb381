import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * The layering rules `npm test` keeps, checked on the TypeScript syntax tree (the compiler the
 * project already has; no regex on source text):
 * - SQL lives in stores: only a `store.ts` / `*Store.ts` file or src/db/ imports `pg` as a value or
 *   calls `.query(`;
 * - the engine (src/scenario/) imports nothing from src/http/, src/db/, src/telephony/;
 * - consent and payer records (src/consents/, src/payers/) never import the engine (src/scenario/).
 */

export type Violation = { file: string; line: number; rule: string; detail: string };

const isStore = (file: string) => /(^|\/)store\.ts$|Store\.ts$/.test(file) || file.startsWith('src/db/');

function sourceFiles(root: string, dir: string): string[] {
  const abs = path.join(root, dir);
  let entries: string[];
  try {
    entries = readdirSync(abs);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const rel = path.posix.join(dir, name);
    if (statSync(path.join(root, rel)).isDirectory()) return sourceFiles(root, rel);
    return /\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [rel] : [];
  });
}

/** Which folder of src/ an import from `file` lands in, if it stays inside src/. */
function importedSrcPath(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  return path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
}

export function checkFile(file: string, text: string): Violation[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: Violation[] = [];
  const at = (node: ts.Node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const store = isStore(file);
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const spec = node.moduleSpecifier.text;
      const typeOnly = node.importClause?.isTypeOnly === true;
      if (spec === 'pg' && !typeOnly && !store) found.push({ file, line: at(node), rule: 'sql-in-stores', detail: "imports pg (only stores and src/db/ may)" });
      const target = importedSrcPath(file, spec);
      if (target && file.startsWith('src/scenario/') && /^src\/(http|db|telephony)\//.test(target)) {
        found.push({ file, line: at(node), rule: 'pure-engine', detail: `the engine imports ${target}` });
      }
      if (target && /^src\/(consents|payers)\//.test(file) && target.startsWith('src/scenario/')) {
        found.push({ file, line: at(node), rule: 'records-without-engine', detail: `imports the engine (${target})` });
      }
    }
    if (!store && ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'query') {
      found.push({ file, line: at(node), rule: 'sql-in-stores', detail: `calls ${node.expression.getText(source)}( outside a store` });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Every violation under root's src/ and bench/, less the allowlisted files. */
export function findViolations(root: string, allow: Record<string, string> = {}): Violation[] {
  const allowed = (file: string) => Object.keys(allow).some((pattern) => (pattern.endsWith('/*') ? file.startsWith(pattern.slice(0, -1)) : file === pattern));
  return [...sourceFiles(root, 'src'), ...sourceFiles(root, 'bench')]
    .filter((file) => !allowed(file))
    .flatMap((file) => checkFile(file, readFileSync(path.join(root, file), 'utf8')));
}
