// Generated API reference: TypeDoc reads each published package's src/index.ts and its TSDoc comments
// and writes Markdown to docs/reference/api/ (not committed; rebuilt by `npm run docs:api`, checked by CI).
// Warnings fail the build: a broken {@link} or an exported symbol whose type is not exported.
// Packages come from the root workspaces list, so new packages are documented without edits here.
import { join } from 'node:path';
import { Application, LogLevel } from 'typedoc';
import { publishedPackages, root } from './lib/workspaces.mjs';

const out = process.env.RXC_DOCS_OUT ?? join(root, 'docs', 'reference', 'api');
const app = await Application.bootstrapWithPlugins({
  entryPoints: publishedPackages().map((pkg) => join(pkg.dir, 'src', 'index.ts')),
  entryPointStrategy: 'resolve',
  tsconfig: join(root, 'tsconfig.json'),
  plugin: ['typedoc-plugin-markdown'],
  out,
  name: 'rx-conversations API',
  readme: 'none',
  excludePrivate: true,
  excludeInternal: true,
  excludeExternals: true,
  disableSources: true,
  treatWarningsAsErrors: true,
  logLevel: LogLevel.Warn,
});
const project = await app.convert();
if (project === undefined || app.logger.hasErrors() || app.logger.hasWarnings()) {
  console.error('TypeDoc failed: see the messages above');
  process.exit(1);
}
// With several entry points TypeDoc names each module after its folder (`client/src`); readers look for
// the package name.
const byFolder = new Map(publishedPackages().map((pkg) => [`${pkg.dir.split('/').pop()}/src`, pkg.name]));
for (const module of project.children ?? []) module.name = byFolder.get(module.name) ?? module.name;
await app.generateOutputs(project);
if (app.logger.hasErrors() || app.logger.hasWarnings()) process.exit(1);
console.log(`API reference written to ${out}`);
