// `node bench/<suite>.mjs [options]` outside the runner: parse, check availability, run, print, write --out.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { resultDocument, resultsTable } from './format.mjs';
import { machineInfo } from './machine.mjs';

export function isMain(importMetaUrl) {
  return Boolean(process.argv[1]) && path.resolve(process.argv[1]) === fileURLToPath(importMetaUrl);
}

/**
 * A suite's own command line: `spec` maps option names to 'string', 'number' (a positive integer)
 * or 'flag'; keys come back camel-cased (`--skip-100k` → skip100k). Unknown options throw.
 */
export function parseSuiteCli(argv, spec) {
  const options = Object.fromEntries(
    Object.entries(spec).map(([name, kind]) => [name, { type: kind === 'flag' ? 'boolean' : 'string' }]),
  );
  const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  const o = {};
  for (const [name, value] of Object.entries(values)) {
    if (spec[name] === 'number' && !(Number.isInteger(Number(value)) && Number(value) > 0))
      throw new Error(`--${name} must be a positive integer`);
    o[name.replace(/-(\w)/g, (_, c) => c.toUpperCase())] = spec[name] === 'number' ? Number(value) : value;
  }
  return o;
}

export async function runStandalone(name, { parseCli, available, run }) {
  let cli;
  try {
    cli = parseCli(process.argv.slice(2));
  } catch (e) {
    console.error(`[${name}] ${e.message}`);
    process.exit(2);
  }
  const a = available ? await available() : true;
  if (a !== true) {
    console.error(`[${name}] skipped: ${a}`);
    process.exit(0);
  }
  const date = new Date();
  const out = await run(cli);
  process.stdout.write(
    `## ${name}\n\n${resultsTable(out.results)}\n\n${(out.notes ?? []).map((n) => `- ${n}`).join('\n')}\n\n${out.table ?? ''}\n`,
  );
  if (cli.out) {
    mkdirSync(path.dirname(path.resolve(cli.out)), { recursive: true });
    writeFileSync(
      cli.out,
      `${JSON.stringify(resultDocument(name, date, machineInfo(), out.results, out.notes), null, 2)}\n`,
    );
    console.error(`[${name}] wrote ${cli.out}`);
  }
  return out;
}
