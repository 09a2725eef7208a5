/**
 * Reads the project's Dockerfile into instructions, so tests can check its lines and run its
 * ENTRYPOINT, CMD and HEALTHCHECK as the image would (no Docker engine runs on these machines).
 */
import fs from 'node:fs';
import path from 'node:path';

export interface Instruction {
  keyword: string;
  args: string;
  /** Index of the build stage (FROM) the instruction belongs to. */
  stage: number;
}

export const REPO = path.resolve(__dirname, '../..');

/** Instructions in order, continuation lines joined, comments dropped. */
export function readDockerfile(file = path.join(REPO, 'Dockerfile')): Instruction[] {
  const logical = fs.readFileSync(file, 'utf8').replace(/\\\n/g, ' ').split('\n')
    .map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  let stage = -1;
  return logical.map((line) => {
    const [keyword, ...rest] = line.split(/\s+/);
    if (keyword.toUpperCase() === 'FROM') stage++;
    return { keyword: keyword.toUpperCase(), args: rest.join(' '), stage };
  });
}

/** The exec-form (JSON array) argument of ENTRYPOINT, CMD or `HEALTHCHECK … CMD [..]`. */
export function execForm(args: string): string[] {
  const json = args.slice(args.indexOf('['));
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`not exec form: ${args}`);
  return parsed;
}

/** `ENV A=1 B=2` lines merged into one record. */
export function envOf(instructions: Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of instructions.filter((x) => x.keyword === 'ENV')) {
    for (const pair of i.args.split(/\s+/)) {
      const eq = pair.indexOf('=');
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return env;
}
