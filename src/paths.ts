import path from 'node:path';

/**
 * The package root, found the same way from `src/` (tsx) and `dist/` (built): both sit one level
 * below it. Assets that ship with the package (the OpenAPI document, the config schema) are read
 * relative to it, so the daemon works from any working directory.
 */
export const PACKAGE_ROOT = path.resolve(__dirname, '..');

export const assetPath = (...parts: string[]): string => path.join(PACKAGE_ROOT, ...parts);
