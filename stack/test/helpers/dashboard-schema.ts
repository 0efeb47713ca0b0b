// JSON schemas made from Grafana's own published dashboard and panel types (@grafana/schema, at the Grafana
// version .env pins), so a provisioned dashboard is checked against what Grafana defines, not a hand-written copy.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { createGenerator } from 'ts-json-schema-generator';

const schemaTypes = join(dirname(createRequire(__filename).resolve('@grafana/schema/package.json')), 'dist/types');
const composable = join(schemaTypes, 'raw/composable');

/** Panel plugins whose options @grafana/schema publishes, by the directory it keeps them in. */
const panelDirs = readdirSync(composable).filter((d) => {
  try {
    return readdirSync(join(composable, d, 'panelcfg/x')).includes('types.gen.d.ts');
  } catch {
    return false;
  }
});

// Core panel ids whose directory name differs from the id (state-timeline -> statetimeline, ...).
const dirOfPanel = (type: string) =>
  ({ annolist: 'annotationslist', dashlist: 'dashboardlist' })[type] ?? type.toLowerCase().replace(/-/g, '');

/**
 * Core panels that @grafana/schema publishes no options type for: only their generic panel fields are checked.
 * (alertlist's options live in Grafana's alerting code, not in the schema package.)
 */
export const panelsWithoutPublishedOptions = ['alertlist'];

/** Drops `required`: Grafana fills a panel's options and field config from the plugin's defaults. */
function optional(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(optional);
  if (!schema || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([k]) => k !== 'required')
      .map(([k, v]) => [k, optional(v)]),
  );
}

export interface Validators {
  dashboard(value: unknown): ErrorObject[];
  /** undefined: Grafana publishes no options type for this panel id. */
  panelOptions(type: string, options: unknown): ErrorObject[] | undefined;
  panelFieldConfig(type: string, custom: unknown): ErrorObject[] | undefined;
}

/** Builds one TypeScript program over the published .d.ts files (a few seconds); schemas are made from it. */
export function grafanaValidators(): Validators {
  const dir = mkdtempSync(join(tmpdir(), 'ostack-grafana-schema-'));
  try {
    const entry = join(dir, 'entry.ts');
    const lines = [`export type Dashboard = import('${schemaTypes}/index').Dashboard;`];
    for (const d of panelDirs) {
      const file = `${composable}/${d}/panelcfg/x/types.gen`;
      // A panel without a FieldConfig type leaves its alias dangling: createSchema then fails for it alone.
      lines.push(
        `export type ${d}_Options = import('${file}').Options;`,
        `export type ${d}_FieldConfig = import('${file}').FieldConfig;`,
      );
    }
    writeFileSync(entry, lines.join('\n'));
    const generator = createGenerator({ path: entry, skipTypeCheck: true, expose: 'none', jsDoc: 'none' });
    const ajv = new Ajv({ allErrors: true, strict: false });
    const compile = (name: string, relax: boolean) => {
      try {
        const schema = generator.createSchema(name);
        return ajv.compile(relax ? (optional(schema) as object) : schema);
      } catch {
        return undefined; // this panel declares no such type
      }
    };
    const dashboard = compile('Dashboard', false)!;
    // Compiled on first use: most panel types appear in no dashboard.
    const cache = new Map<string, ReturnType<typeof compile>>();
    const panelSchema = (type: string, kind: 'Options' | 'FieldConfig') => {
      const name = `${dirOfPanel(type)}_${kind}`;
      if (!cache.has(name)) cache.set(name, panelDirs.includes(dirOfPanel(type)) ? compile(name, true) : undefined);
      return cache.get(name);
    };
    const run = (validate: ReturnType<typeof compile>, value: unknown) =>
      validate ? (validate(value) ? [] : [...(validate.errors ?? [])]) : undefined;
    return {
      dashboard: (value) => run(dashboard, value)!,
      panelOptions: (type, value) => run(panelSchema(type, 'Options'), value),
      panelFieldConfig: (type, value) => run(panelSchema(type, 'FieldConfig'), value),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One line per schema error, with the JSON path it points at. */
export const describeErrors = (errors: ErrorObject[]) =>
  errors.map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('\n');
