// The packages this repository publishes, read from the root package.json's `workspaces` so that a new
// package is covered by every release check (API report, consumer check, reference docs) without edits here.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** @returns {{ dir: string, name: string, short: string, manifest: any }[]} published (non-private) packages */
export function publishedPackages() {
  const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return workspaces
    // `packages/*` style entries too, as npm allows.
    .flatMap((/** @type {string} */ entry) =>
      entry.endsWith('/*')
        ? readdirSync(join(root, entry.slice(0, -2))).map((name) => `${entry.slice(0, -2)}/${name}`)
        : [entry],
    )
    .filter((rel) => existsSync(join(root, rel, 'package.json')))
    .map((rel) => {
      const dir = join(root, rel);
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      return { dir, name: manifest.name, short: manifest.name.replace(/^@[^/]+\//, ''), manifest };
    })
    .filter((pkg) => pkg.manifest.private !== true);
}
