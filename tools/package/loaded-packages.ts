import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import ts from 'typescript';

/**
 * The npm packages a compiled CommonJS module loads when it is loaded: the bare specifiers of its module-scope
 * `require("...")` calls (the compiled imports). A `require` inside a function (esbuild, onnxruntime-node: development
 * dependencies the repository's source build uses) is not counted; the published package never calls it.
 */
export function loadedPackages(code: string, file = 'module.js'): Set<string> {
  const source = ts.createSourceFile(file, code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const packages = new Set<string>();
  const visit = (node: ts.Node, insideFunction: boolean): void => {
    if (ts.isFunctionLike(node)) insideFunction = true;
    if (
      !insideFunction &&
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'require' &&
      node.arguments.length === 1 &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      const name = packageName(node.arguments[0].text);
      if (name) packages.add(name);
    }
    node.forEachChild((child) => visit(child, insideFunction));
  };
  visit(source, false);
  return packages;
}

/** The package a specifier names (`aws-cdk-lib/aws-iam` -> `aws-cdk-lib`); undefined for relative paths and Node built-ins. */
export function packageName(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return builtinModules.includes(name) ? undefined : name;
}

/** loadedPackages of every file, together. */
export function loadedPackagesOf(files: readonly string[]): Set<string> {
  const all = new Set<string>();
  for (const file of files) for (const name of loadedPackages(readFileSync(file, 'utf8'), file)) all.add(name);
  return all;
}
