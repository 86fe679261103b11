// Parses every .tf file under infra/<cloud>/ with @cdktf/hcl2json (HashiCorp's HCL parser compiled
// to WebAssembly: the same grammar Terraform reads, no providers needed) and writes one merged JSON
// per cloud for safety.py and render.py. Merged shape: {resource: {type: {name: body}}, data: ...,
// variable: {name: body}, output: {name: body}, locals: {name: expr}, module: {name: body},
// moved: [...], terraform: [...], provider: {...}, module_config: {name: <merged shape>}}, where
// module_config holds, per module call with a local source (../modules/...), that module's own
// merged configuration, so each cloud's checks see what it calls.
// Prints "ok - ..." / "not ok - ..." lines that check.sh counts.
'use strict';
const fs = require('fs');
const path = require('path');
const { parse } = require('@cdktf/hcl2json');

let failed = 0;

// merge(dir, label): the merged configuration of the .tf files in dir, or null when it has none.
async function merge(dir, label) {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.tf')).sort();
  if (files.length === 0) return null;
  const merged = { resource: {}, data: {}, variable: {}, output: {}, locals: {}, module: {}, moved: [], terraform: [], provider: {} };
  const dup = [];
  for (const f of files) {
    const rel = path.join(label, f);
    let doc;
    try {
      doc = await parse(rel, fs.readFileSync(path.join(dir, f), 'utf8'));
      console.log(`ok - parses: ${rel}`);
    } catch (e) {
      console.log(`not ok - parses: ${rel}: ${String(e).split('\n')[0]}`);
      failed++;
      continue;
    }
    for (const kind of ['resource', 'data']) {
      for (const [type, byName] of Object.entries(doc[kind] || {})) {
        merged[kind][type] = merged[kind][type] || {};
        for (const [name, bodies] of Object.entries(byName)) {
          if (merged[kind][type][name]) dup.push(`${kind}.${type}.${name}`);
          merged[kind][type][name] = bodies[0];
        }
      }
    }
    for (const kind of ['variable', 'output', 'provider', 'module']) {
      for (const [name, bodies] of Object.entries(doc[kind] || {})) {
        if (merged[kind][name]) dup.push(`${kind}.${name}`);
        merged[kind][name] = bodies[0];
      }
    }
    for (const block of doc.locals || []) {
      for (const [name, value] of Object.entries(block)) {
        if (name in merged.locals) dup.push(`local.${name}`);
        merged.locals[name] = value;
      }
    }
    merged.moved.push(...(doc.moved || []));
    merged.terraform.push(...(doc.terraform || []));
  }
  if (dup.length) {
    console.log(`not ok - ${label}: each block defined once: duplicates ${dup.join(', ')}`);
    failed++;
  } else {
    console.log(`ok - ${label}: each block defined once`);
  }
  return merged;
}

async function main() {
  const [infraDir, outDir] = process.argv.slice(2);
  const modules = {}; // parsed once, by folder
  for (const cloud of fs.readdirSync(infraDir).sort()) {
    const dir = path.join(infraDir, cloud);
    if (!fs.statSync(dir).isDirectory()) continue;
    const merged = await merge(dir, path.join('infra', cloud));
    if (!merged) continue;
    merged.module_config = {};
    for (const [name, body] of Object.entries(merged.module)) {
      const source = String(body.source || '');
      if (!source.startsWith('../') && !source.startsWith('./')) continue;
      const moduleDir = path.resolve(dir, source);
      if (!(moduleDir in modules)) modules[moduleDir] = await merge(moduleDir, path.relative(path.dirname(infraDir), moduleDir));
      if (modules[moduleDir]) merged.module_config[name] = modules[moduleDir];
      else {
        console.log(`not ok - infra/${cloud}: module ${name}'s source ${source} holds no .tf file`);
        failed++;
      }
    }
    fs.writeFileSync(path.join(outDir, `${cloud}.json`), JSON.stringify(merged, null, 1));
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
  console.log(`not ok - parse_tf.js crashed: ${e && e.stack}`);
  process.exitCode = 1;
});
