#!/usr/bin/env node
// Regenerates tests/terraform/aws_provider_schema.json: the provider schema of every resource
// and data source type that terraform/*.tf uses, in the compact form the offline checks read.
//
//   cd scripts/terraform_schema && npm ci --ignore-scripts && node generate.js
//   node generate.js --check    exits 1 if the committed file differs from a fresh one
//
// The AWS part is read from @cdktn/provider-aws, whose bindings are generated from
// `terraform providers schema -json` of hashicorp/aws. Each binding states, per argument,
// whether it is a block and, in a comment, whether it is required; a computed-only attribute
// is readable but absent from the arguments. The archive and random providers are not on the
// registry as prebuilt bindings here, so their few types are described by hand (HAND_WRITTEN).
'use strict';

const fs = require('fs');
const path = require('path');

const REPO = path.resolve(__dirname, '..', '..');
const TERRAFORM_DIR = path.join(REPO, 'terraform');
const OUTPUT = path.join(REPO, 'tests', 'terraform', 'aws_provider_schema.json');
const PACKAGE_DIR = path.join(__dirname, 'node_modules', '@cdktn', 'provider-aws');
const LIB = path.join(PACKAGE_DIR, 'lib');

const optional = (type) => ({ type, required: false });
const required = (type) => ({ type, required: true });

// From the registry docs of hashicorp/archive 2.x and hashicorp/random 3.x.
const HAND_WRITTEN = {
  resource: {
    random_password: {
      attributes: {
        length: required('number'),
        keepers: optional('map'),
        lower: optional('bool'),
        min_lower: optional('number'),
        min_numeric: optional('number'),
        min_special: optional('number'),
        min_upper: optional('number'),
        numeric: optional('bool'),
        override_special: optional('string'),
        special: optional('bool'),
        upper: optional('bool'),
      },
      blocks: {},
      readable: ['bcrypt_hash', 'id', 'result'],
    },
  },
  data: {
    archive_file: {
      attributes: {
        type: required('string'),
        output_path: required('string'),
        excludes: optional('set'),
        exclude_symlink_directories: optional('bool'),
        output_file_mode: optional('string'),
        source_content: optional('string'),
        source_content_filename: optional('string'),
        source_dir: optional('string'),
        source_file: optional('string'),
      },
      blocks: {
        source: {
          nesting: 'set', required: false, max_items: null,
          attributes: { content: required('string'), filename: required('string') },
          blocks: {},
        },
      },
      readable: ['id', 'output_base64sha256', 'output_base64sha512', 'output_md5',
        'output_sha', 'output_sha256', 'output_sha512', 'output_size'],
    },
  },
};

function typesUsed() {
  const used = { resource: new Set(), data: new Set() };
  for (const name of fs.readdirSync(TERRAFORM_DIR).sort()) {
    if (!name.endsWith('.tf')) continue;
    const text = fs.readFileSync(path.join(TERRAFORM_DIR, name), 'utf8');
    for (const m of text.matchAll(/^\s*(resource|data)\s+"([a-z0-9_]+)"\s+"/gm)) {
      used[m[1]].add(m[2]);
    }
  }
  return used;
}

function moduleFile(kind, type) {
  const base = type.replace(/^aws_/, '').replace(/_/g, '-');
  return path.join(LIB, kind === 'data' ? `data-aws-${base}` : base, 'index.js');
}

// `name: { value: ..., isBlock: true|false, type: "list", storageClassType: "..." }` entries.
function parseAttrs(body) {
  const entries = {};
  const re = /^\s+(\w+): \{\n\s+value: ([^\n]*),\n\s+isBlock: (true|false),\n\s+type: "(\w+)",\n\s+storageClassType: "(\w+)",\n\s+\}/gm;
  for (const m of body.matchAll(re)) {
    const [, name, value, isBlock, type, storage] = m;
    // The struct's own converter, not one of cdktn's (`cdktn.stringToHclTerraform`).
    const nested = /(?<![.\w])([a-z]\w*)ToHclTerraform\b/.exec(value);
    entries[name] = {
      isBlock: isBlock === 'true',
      type,
      storage,
      nestedFn: nested ? nested[1] : null,
      single: nested ? !value.includes('listMapperHcl') && !value.includes('hashMapperHcl') : false,
    };
  }
  return entries;
}

function attrsBlock(source, startIndex) {
  const open = source.indexOf('const attrs = {', startIndex);
  const close = source.indexOf('\n        };', open);
  const closeFn = source.indexOf('\n    };', open);
  const end = [close, closeFn].filter((i) => i > 0).reduce((a, b) => Math.min(a, b));
  return source.slice(open, end);
}

// `// name - computed: x, optional: y, required: z` inside each class body.
function classFlags(source) {
  const flags = {};
  for (const m of source.matchAll(/^class (\w+) extends [\w.]+ \{\n([\s\S]*?)^\}$/gm)) {
    const own = {};
    for (const c of m[2].matchAll(/\/\/ (\w+) - computed: (\w+), optional: (\w+), required: (\w+)/g)) {
      own[c[1]] = { computed: c[2] === 'true', optional: c[3] === 'true', required: c[4] === 'true' };
    }
    flags[m[1]] = own;
  }
  return flags;
}

function describe(source, flags, className, entries, opaqueBlocks) {
  const own = flags[className] || {};
  const out = { attributes: {}, blocks: {} };
  for (const [name, e] of Object.entries(entries).sort()) {
    const isRequired = Boolean(own[name] && own[name].required);
    if (e.storage === 'any' && opaqueBlocks.has(name)) {
      // Schemas nested too deeply (wafv2 `statement`) are typed `any` in the bindings: still a
      // block in HCL, its contents unchecked.
      out.blocks[name] = { nesting: 'opaque', required: isRequired, max_items: null, attributes: {}, blocks: {} };
    } else if (e.isBlock && e.nestedFn) {
      const fnStart = source.indexOf(`function ${e.nestedFn}ToHclTerraform(struct)`);
      if (fnStart < 0) throw new Error(`${className}.${name}: no ${e.nestedFn}ToHclTerraform`);
      const nestedClass = e.nestedFn[0].toUpperCase() + e.nestedFn.slice(1) + 'OutputReference';
      const nested = describe(source, flags, nestedClass, parseAttrs(attrsBlock(source, fnStart)), opaqueBlocks);
      out.blocks[name] = {
        nesting: e.single ? 'single' : e.type,
        required: isRequired,
        max_items: e.single ? 1 : null,
        ...nested,
      };
    } else {
      out.attributes[name] = { type: e.isBlock ? `${e.type} of object` : e.type, required: isRequired };
    }
  }
  return out;
}

function describeType(kind, type) {
  const file = moduleFile(kind, type);
  if (!fs.existsSync(file)) throw new Error(`${kind} ${type}: no binding at ${file}`);
  const source = fs.readFileSync(file, 'utf8');
  const header = new RegExp(`^class (\\w+) extends cdktn\\.(TerraformResource|TerraformDataSource) \\{\\n[\\s\\S]*?static tfResourceType = "${type}";`, 'm').exec(source);
  if (!header) throw new Error(`${kind} ${type}: binding does not declare tfResourceType ${type}`);
  const className = header[1];
  const flags = classFlags(source);
  const synthStart = source.indexOf('synthesizeHclAttributes()', header.index);
  const declarations = fs.readFileSync(file.replace(/\.js$/, '.d.ts'), 'utf8');
  const opaqueBlocks = new Set([...declarations.matchAll(/^\s*\* (\w+) block$/gm)].map((m) => m[1]));
  const schema = describe(source, flags, className, parseAttrs(attrsBlock(source, synthStart)), opaqueBlocks);
  schema.readable = Object.keys(flags[className] || {}).sort();
  return schema;
}

function main() {
  const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8'));
  const readme = fs.readFileSync(path.join(PACKAGE_DIR, 'README.md'), 'utf8');
  const providerVersion = (/hashicorp\/aws provider version ([\d.]+)/.exec(readme) || [])[1];
  const used = typesUsed();
  const result = {
    _note: 'Generated by scripts/terraform_schema/generate.js; do not edit. aws_* types come from '
      + `${pkg.name}@${pkg.version} (hashicorp/aws ${providerVersion}); archive_file and `
      + 'random_password are described by hand in that script from the registry docs.',
    provider_versions: { aws: providerVersion, archive: '2.x', random: '3.x' },
    resource: {},
    data: {},
  };
  for (const kind of ['resource', 'data']) {
    for (const type of [...used[kind]].sort()) {
      result[kind][type] = HAND_WRITTEN[kind][type] || describeType(kind, type);
    }
  }
  const text = JSON.stringify(result, null, 1) + '\n';
  const count = Object.keys(result.resource).length + Object.keys(result.data).length;
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(OUTPUT) ? fs.readFileSync(OUTPUT, 'utf8') : '';
    if (current !== text) {
      console.error(`${path.relative(REPO, OUTPUT)} is stale: run node scripts/terraform_schema/generate.js`);
      process.exit(1);
    }
    console.log(`${path.relative(REPO, OUTPUT)} is current: ${count} types`);
    return;
  }
  fs.writeFileSync(OUTPUT, text);
  console.log(`wrote ${path.relative(REPO, OUTPUT)}: ${count} types`);
}

main();
