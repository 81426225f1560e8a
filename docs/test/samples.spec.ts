import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * Every ```ts sample in docs/ and the README is compiled against the packages' sources, so a guide can
 * never show an API that does not exist. A sample is a module: it imports what it uses. What the reader
 * supplies (a token, a render function, the `fake` set up earlier on the page) is declared once per page
 * in a hidden comment, prepended to each sample of that page:
 *
 *   <!-- samples-preamble
 *   import { FakeServer } from '@rx-conversations/testing';
 *   declare const token: string;
 *   -->
 *
 * A sample that declares or imports a name itself wins over the preamble: the preamble's declaration of
 * that name is left out of that sample (so a page can declare `token` for most samples while the sample
 * that mints it says `const token = …`).
 *
 * A fence `ts file=name.ts` names the sample's file so other samples of the page can import it.
 *
 * A second test checks that every relative link between the docs and the README points at a file that
 * exists and, for `#fragment` links into a Markdown page, at a heading of that page.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const outDir = join(root, 'test-output', 'doc-samples');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'test' ? [] : markdownFiles(path);
    return name.endsWith('.md') ? [path] : [];
  });
}

function pages(): string[] {
  return [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))];
}

interface Sample {
  readonly source: string;
  readonly line: number;
  readonly code: string;
  /** From a fence like ```ts file=chat.service.ts: samples of one page can import each other. */
  readonly file: string | null;
}

/** Names a statement brings into module scope (declarations and imports). */
function declaredNames(statement: ts.Statement): string[] {
  const names: string[] = [];
  const addBinding = (name: ts.BindingName): void => {
    if (ts.isIdentifier(name)) names.push(name.text);
    else for (const element of name.elements) if (!ts.isOmittedExpression(element)) addBinding(element.name);
  };
  if (ts.isVariableStatement(statement)) {
    for (const declaration of statement.declarationList.declarations) addBinding(declaration.name);
  } else if (
    ts.isFunctionDeclaration(statement) ||
    ts.isClassDeclaration(statement) ||
    ts.isInterfaceDeclaration(statement) ||
    ts.isTypeAliasDeclaration(statement) ||
    ts.isEnumDeclaration(statement)
  ) {
    if (statement.name !== undefined) names.push(statement.name.text);
  } else if (ts.isImportDeclaration(statement) && statement.importClause !== undefined) {
    const clause = statement.importClause;
    if (clause.name !== undefined) names.push(clause.name.text);
    const bindings = clause.namedBindings;
    if (bindings !== undefined) {
      if (ts.isNamespaceImport(bindings)) names.push(bindings.name.text);
      else for (const element of bindings.elements) names.push(element.name.text);
    }
  }
  return names;
}

/**
 * The preamble without what `code` declares or imports itself. What is left out is replaced by as many
 * line breaks, so the preamble keeps its line count and diagnostics still map to the sample's lines.
 */
function preambleFor(preamble: string, code: string): string {
  if (preamble === '') return preamble;
  const own = new Set(
    ts.createSourceFile('sample.ts', code, ts.ScriptTarget.ES2022).statements.flatMap((statement) => declaredNames(statement)),
  );
  // Only line breaks matter: diagnostics are mapped by line.
  const lineBreaks = (text: string): string => '\n'.repeat(text.split('\n').length - 1);
  const source = ts.createSourceFile('preamble.ts', preamble, ts.ScriptTarget.ES2022);
  let out = '';
  let at = 0;
  for (const statement of source.statements) {
    if (!declaredNames(statement).some((name) => own.has(name))) continue;
    const start = statement.getStart(source);
    const text = preamble.slice(start, statement.end);
    let replacement = lineBreaks(text);
    const clause = ts.isImportDeclaration(statement) ? statement.importClause : undefined;
    const bindings = clause?.namedBindings;
    if (clause !== undefined && clause.name === undefined && bindings !== undefined && ts.isNamedImports(bindings)) {
      // Keep the specifiers the sample does not import itself.
      const kept = bindings.elements.filter((element) => !own.has(element.name.text)).map((element) => element.getText(source));
      const from = (statement as ts.ImportDeclaration).moduleSpecifier.getText(source);
      if (kept.length > 0) replacement = `import ${clause.isTypeOnly ? 'type ' : ''}{ ${kept.join(', ')} } from ${from};${replacement}`;
    }
    out += preamble.slice(at, start) + replacement;
    at = statement.end;
  }
  return out + preamble.slice(at);
}

function samples(): Sample[] {
  const found: Sample[] = [];
  for (const file of pages()) {
    const text = readFileSync(file, 'utf8');
    const preamble = /<!--\s*samples-preamble\s*\n([\s\S]*?)-->/.exec(text)?.[1] ?? '';
    const preambleLines = preamble === '' ? 0 : preamble.split('\n').length - 1;
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const fence = /^```(?:ts|typescript)(?:\s+file=([\w.-]+\.ts))?\s*$/.exec(lines[i]!.trim());
      if (fence === null) continue;
      const start = i + 1;
      let end = start;
      while (end < lines.length && lines[end]!.trim() !== '```') end++;
      const body = lines.slice(start, end).join('\n');
      found.push({
        source: relative(root, file),
        // Diagnostics count lines of preamble + sample; report them at the sample's own lines.
        line: start + 1 - preambleLines,
        code: preambleFor(preamble, body) + body,
        file: fence[1] ?? null,
      });
      i = end;
    }
  }
  return found;
}

describe('documentation samples', () => {
  it('every TypeScript sample in docs/ and README.md compiles against the real packages', () => {
    const all = samples();
    expect(all.length).toBeGreaterThan(10);
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    const files = all.map((sample, n) => {
      const dir = join(outDir, sample.source.replace(/[/.]/g, '_'));
      mkdirSync(dir, { recursive: true });
      const path = join(dir, sample.file ?? `sample${String(n).padStart(3, '0')}.ts`);
      // `export {}` makes each sample a module even when it imports nothing.
      writeFileSync(path, `${sample.code}\nexport {};\n`);
      return { path, sample };
    });
    const program = ts.createProgram(
      files.map((f) => f.path),
      {
        target: ts.ScriptTarget.ES2022,
        // How apps consume us (Angular CLI, Vite, esbuild): bundler resolution, package exports honoured.
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        customConditions: ['source'],
        lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
        types: ['node'],
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        // Angular's decorators (docs/guides/angular.md) are typed for TypeScript's decorator mode.
        experimentalDecorators: true,
      },
    );
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file !== undefined && d.file.fileName.startsWith(outDir))
      .map((d) => {
        const { sample } = files.find((f) => f.path === d.file!.fileName)!;
        const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
        return `${sample.source}:${sample.line + line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
    expect(problems).toEqual([]);
  });

  it('every relative link in docs/ and README.md points at a file (and heading) that exists', () => {
    const broken: string[] = [];
    for (const file of pages()) {
      const lines = prose(readFileSync(file, 'utf8'));
      lines.forEach((line, n) => {
        for (const [, target] of line.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
          if (/^[a-z][a-z+.-]*:/i.test(target!)) continue; // https:, mailto:
          const [path = '', fragment] = target!.split('#');
          const resolved = path === '' ? file : join(dirname(file), decodeURIComponent(path));
          const where = `${relative(root, file)}:${n + 1}: ${target}`;
          if (!existsSync(resolved)) broken.push(`${where} (no such file)`);
          else if (fragment !== undefined && resolved.endsWith('.md') && !anchors(readFileSync(resolved, 'utf8')).has(fragment)) {
            broken.push(`${where} (no such heading)`);
          }
        }
      });
    }
    expect(broken).toEqual([]);
  });
});

/** The page's lines, those of fenced code blocks blanked. */
function outsideFences(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').map((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line;
  });
}

/** The page's prose: no code blocks, inline code emptied (a link in code is not a link). */
function prose(markdown: string): string[] {
  return outsideFences(markdown).map((line) => line.replace(/`[^`]*`/g, '``'));
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, `-1`, `-2` for repeats. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const found = new Set<string>();
  for (const line of outsideFences(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = heading.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const repeats = seen.get(slug) ?? 0;
    seen.set(slug, repeats + 1);
    found.add(repeats === 0 ? slug : `${slug}-${repeats}`);
  }
  return found;
}
