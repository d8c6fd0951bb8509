// Print (as JSON) the part of the official OpenAI spec that the Prism test exercises: the
// /files, /batches and /chat/completions paths, unchanged, with every component they reference
// (the $ref closure). Prism needs about a minute to load the whole 87,000-line document on our
// 2-core CI machines and a few seconds for this subset; validation of these paths is identical.
//   node spec_subset.js ../shared/data/openai-openapi.yaml > spec.json
'use strict';
const fs = require('node:fs');
const yaml = require('js-yaml');

const doc = yaml.load(fs.readFileSync(process.argv[2], 'utf8'));
const keep = /^\/(files(\/\{file_id\}(\/content)?)?|batches(\/\{batch_id\}(\/cancel)?)?|chat\/completions)$/;
const paths = {};
for (const [p, item] of Object.entries(doc.paths)) if (keep.test(p)) paths[p] = item;
if (Object.keys(paths).length !== 7) throw new Error('spec paths changed: ' + Object.keys(paths));

const components = {};
const seen = new Set();
function walk(node) {
  if (Array.isArray(node)) return node.forEach(walk);
  if (!node || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node)) {
    if ((k === '$ref' || k === '$recursiveRef' || k === '$dynamicRef') && typeof v === 'string' &&
        v.startsWith('#/components/') && !seen.has(v)) {
      seen.add(v);
      const [, , kind, name] = v.split('/');
      const target = doc.components[kind][name];
      if (target === undefined) throw new Error('dangling ' + v);
      (components[kind] ||= {})[name] = target;
      walk(target);
    } else {
      walk(v);
    }
  }
}
walk(paths);
if (doc.components.securitySchemes) components.securitySchemes = doc.components.securitySchemes;
const out = { ...doc, paths, components };
delete out.webhooks;
delete out['x-oaiMeta'];
process.stdout.write(JSON.stringify(out));
