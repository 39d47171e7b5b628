#!/usr/bin/env node
/*
 * Schema conformance checker for entity files written in the JupiterOne
 * integration SDK storage layout: each file holds {"entities": [...]}.
 *
 * Every entity is validated against the @jupiterone/data-model JSON schema of
 * each class listed in its `_class` (a string or an array of strings). The
 * schemas and formats come from the data-model package itself: its exported
 * registerSchemas()/registerFormats() are applied to an Ajv instance created
 * with allErrors (the options the SDK's entity validator uses); when those
 * helpers or Ajv are unavailable the package's own IntegrationSchema instance
 * is used instead.
 *
 * A few checks the SDK applies outside the JSON schemas are also run and
 * reported with the class label "sdk":
 *   - property values must be string, number, boolean, null, or an array of
 *     string/number/boolean (no nested objects, no nested arrays);
 *   - _rawData, when present, must be an array of {name, rawData} entries with
 *     unique names;
 *   - _key must be unique across all checked entities.
 *
 * Usage:
 *   node validate-entities.js [options] FILE...
 * Options:
 *   --files-from LIST     read more file names (one per line) from LIST ("-" = stdin)
 *   --require-data-model-version V
 *                         fail unless the loaded @jupiterone/data-model is exactly V
 *
 * Output: one line per failure, "FILE: _key: class: message", then
 * "checked N entities, M failures". Exit status 0 only when M is 0 and N > 0;
 * 1 on failures or when nothing was checked; 2 on usage or setup errors.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const Module = require('module');

function die(message) {
  process.stderr.write(`validate-entities: ${message}\n`);
  process.exit(2);
}

/* ---------- argument parsing ---------- */

function parseArgs(argv) {
  const opts = { files: [], requireVersion: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--files-from') {
      if (i + 1 >= argv.length) die('--files-from needs an argument');
      const src = argv[++i];
      let text;
      try {
        text = fs.readFileSync(src === '-' ? 0 : src, 'utf8');
      } catch (err) {
        die(`cannot read file list ${src}: ${err.message}`);
      }
      for (const line of text.split('\n')) {
        if (line.length > 0) opts.files.push(line);
      }
    } else if (arg === '--require-data-model-version') {
      if (i + 1 >= argv.length) die(`${arg} needs an argument`);
      opts.requireVersion = argv[++i];
    } else if (arg === '-h' || arg === '--help') {
      process.stdout.write(
        'usage: validate-entities.js [--files-from LIST|-] ' +
          '[--require-data-model-version V] FILE...\n',
      );
      process.exit(0);
    } else if (arg === '--') {
      opts.files.push(...argv.slice(i + 1));
      break;
    } else if (arg.startsWith('--')) {
      die(`unknown option ${arg}`);
    } else {
      opts.files.push(arg);
    }
  }
  return opts;
}

/* ---------- module loading (NODE_PATH entries take precedence) ---------- */

function makeLoader() {
  const requirers = [];
  for (const dir of (process.env.NODE_PATH || '').split(path.delimiter)) {
    if (dir) requirers.push(Module.createRequire(path.join(path.resolve(dir), 'noop.js')));
  }
  requirers.push(require);
  return function load(name) {
    let lastErr;
    for (const req of requirers) {
      try {
        return req(name);
      } catch (err) {
        if (err && err.code === 'MODULE_NOT_FOUND') {
          lastErr = err;
          continue;
        }
        throw err;
      }
    }
    throw lastErr;
  };
}

function buildSchemaValidator(load) {
  let dm;
  try {
    dm = load('@jupiterone/data-model');
  } catch (err) {
    die(`cannot load @jupiterone/data-model (is NODE_PATH set?): ${err.message}`);
  }
  let version = 'unknown';
  try {
    version = load('@jupiterone/data-model/package.json').version;
  } catch (err) {
    /* version stays unknown */
  }

  let Ajv = null;
  try {
    Ajv = load('ajv');
    Ajv = Ajv.default || Ajv;
  } catch (err) {
    Ajv = null;
  }

  if (Ajv && typeof dm.registerSchemas === 'function' && typeof dm.registerFormats === 'function') {
    const ajv = new Ajv({ allErrors: true, strictSchema: false });
    dm.registerFormats(ajv);
    dm.registerSchemas(ajv);
    return { ajv, version, mode: 'ajv (allErrors) + data-model registerSchemas/registerFormats' };
  }
  if (dm.IntegrationSchema && typeof dm.IntegrationSchema.getSchema === 'function') {
    return { ajv: dm.IntegrationSchema, version, mode: 'data-model IntegrationSchema' };
  }
  die('the loaded @jupiterone/data-model exports neither registerSchemas nor IntegrationSchema');
  return null;
}

/* ---------- error formatting ---------- */

function ajvErrorText(err, basePath) {
  let where = err.instancePath || '';
  if (basePath !== undefined && where === basePath) where = '';
  if (err.propertyName !== undefined) {
    return `property name '${err.propertyName}' ${err.message}`;
  }
  return where ? `${where} ${err.message}` : err.message;
}

/* Collapse Ajv's oneOf/anyOf branch errors into one message per combinator. */
function formatAjvErrors(errors) {
  const list = errors || [];
  const consumed = new Set();
  const messages = [];

  const combinators = list.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf');
  for (const comb of combinators) {
    const prefix = comb.schemaPath + '/';
    const branchTexts = [];
    for (const e of list) {
      if (e !== comb && e.schemaPath.startsWith(prefix)) {
        consumed.add(e);
        const text = ajvErrorText(e, comb.instancePath);
        if (!branchTexts.includes(text)) branchTexts.push(text);
      }
    }
    consumed.add(comb);
    const head = ajvErrorText(comb);
    messages.push(branchTexts.length ? `${head} (${branchTexts.join('; ')})` : head);
  }

  const namesWithDetail = new Set(
    list.filter((e) => e.propertyName !== undefined).map((e) => e.propertyName),
  );
  for (const e of list) {
    if (consumed.has(e)) continue;
    if (e.keyword === 'propertyNames' && e.params && namesWithDetail.has(e.params.propertyName)) {
      continue;
    }
    if (e.keyword === 'propertyNames' && e.params) {
      messages.push(`property name '${e.params.propertyName}' is invalid`);
      continue;
    }
    messages.push(ajvErrorText(e));
  }
  return [...new Set(messages)];
}

/* ---------- SDK-level checks ---------- */

function isPrimitive(v) {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

function sdkChecks(entity) {
  const problems = [];
  for (const [name, value] of Object.entries(entity)) {
    if (name === '_rawData') continue;
    if (value === null || isPrimitive(value)) continue;
    if (Array.isArray(value)) {
      const bad = value.findIndex((item) => !isPrimitive(item));
      if (bad !== -1) {
        const item = value[bad];
        const kind = item === null ? 'a null' : Array.isArray(item) ? 'an array' : `a ${typeof item}`;
        problems.push(
          `property '${name}' is an array with ${kind} element at index ${bad}; ` +
            'array properties may only hold strings, numbers and booleans',
        );
      }
      continue;
    }
    const kind = typeof value === 'object' ? 'a nested object' : `a ${typeof value}`;
    problems.push(
      `property '${name}' has ${kind} value; entity properties must be string, number, ` +
        'boolean, null, or an array of those',
    );
  }

  if (Object.prototype.hasOwnProperty.call(entity, '_rawData')) {
    const raw = entity._rawData;
    if (!Array.isArray(raw)) {
      problems.push("'_rawData' must be an array of {name, rawData} objects");
    } else {
      const seen = new Set();
      raw.forEach((item, i) => {
        if (item === null || typeof item !== 'object' || Array.isArray(item)) {
          problems.push(`_rawData[${i}] must be an object with 'name' and 'rawData'`);
          return;
        }
        if (typeof item.name !== 'string' || item.name.length === 0) {
          problems.push(`_rawData[${i}].name must be a non-empty string`);
        } else if (seen.has(item.name)) {
          problems.push(`duplicate raw data name '${item.name}'`);
        } else {
          seen.add(item.name);
        }
        const r = item.rawData;
        const okRaw = typeof r === 'string' || (r !== null && typeof r === 'object' && !Array.isArray(r));
        if (!okRaw) problems.push(`_rawData[${i}].rawData must be an object or a string`);
      });
    }
  }
  return problems;
}

/* ---------- main ---------- */

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const load = makeLoader();
  const { ajv, version, mode } = buildSchemaValidator(load);

  if (opts.requireVersion !== null && version !== opts.requireVersion) {
    die(`loaded @jupiterone/data-model@${version}, expected ${opts.requireVersion}`);
  }
  process.stderr.write(`validate-entities: @jupiterone/data-model@${version} via ${mode}\n`);

  let checked = 0;
  let failures = 0;
  const seenKeys = new Map();

  const report = (file, key, cls, message) => {
    failures++;
    process.stdout.write(`${file}: ${key}: ${cls}: ${message}\n`);
  };

  for (const file of opts.files) {
    let data;
    try {
      data = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      report(file, '-', '-', `cannot read entity file: ${err.message}`);
      continue;
    }
    if (data === null || typeof data !== 'object' || !Array.isArray(data.entities)) {
      report(file, '-', '-', 'not an SDK entities file (no top-level "entities" array)');
      continue;
    }

    data.entities.forEach((entity, index) => {
      checked++;
      if (entity === null || typeof entity !== 'object' || Array.isArray(entity)) {
        report(file, `#${index}`, '-', 'entity is not a JSON object');
        return;
      }
      const key = typeof entity._key === 'string' ? entity._key : `#${index}`;

      let classes = entity._class;
      if (typeof classes === 'string') classes = [classes];
      if (!Array.isArray(classes) || classes.length === 0 || classes.some((c) => typeof c !== 'string')) {
        report(file, key, '-', "'_class' must be a non-empty string or array of strings");
        classes = [];
      }

      for (const cls of classes) {
        const validate = ajv.getSchema(`#${cls}`);
        if (!validate) {
          report(file, key, cls, `no @jupiterone/data-model schema for class '${cls}'`);
          continue;
        }
        if (!validate(entity)) {
          for (const message of formatAjvErrors(validate.errors)) {
            report(file, key, cls, message);
          }
        }
      }

      for (const message of sdkChecks(entity)) report(file, key, 'sdk', message);

      if (typeof entity._key === 'string') {
        const first = seenKeys.get(entity._key);
        if (first !== undefined) {
          report(file, key, 'sdk', `duplicate _key (first seen in ${first})`);
        } else {
          seenKeys.set(entity._key, file);
        }
      }
    });
  }

  process.stdout.write(`checked ${checked} entities, ${failures} failures\n`);
  if (checked === 0) process.stderr.write('validate-entities: no entities were checked\n');
  process.exit(failures === 0 && checked > 0 ? 0 : 1);
}

main();
