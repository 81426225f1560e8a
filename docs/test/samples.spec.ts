import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
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
 * A fence `ts file=name.ts` names the sample's file so other samples of the page can import it.
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

interface Sample {
  readonly source: string;
  readonly line: number;
  readonly code: string;
  /** From a fence like ```ts file=chat.service.ts: samples of one page can import each other. */
  readonly file: string | null;
}

function samples(): Sample[] {
  const found: Sample[] = [];
  for (const file of [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))]) {
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
      found.push({
        source: relative(root, file),
        // Diagnostics count lines of preamble + sample; report them at the sample's own lines.
        line: start + 1 - preambleLines,
        code: preamble + lines.slice(start, end).join('\n'),
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
});
