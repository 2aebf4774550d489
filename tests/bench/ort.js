'use strict';
// ort.js: finds onnxruntime-node and holds what the ORT scripts share (session options, input feeding,
// output naming). ONNX Runtime is a reference for tests and benchmarks only, never a dependency of edgetune.
//
// Where the module is looked for, first hit wins:
//   $EDGETUNE_ORT_DIR/node_modules/onnxruntime-node
//   require('onnxruntime-node') (NODE_PATH and the usual node_modules search)
//   ${XDG_CACHE_HOME:-~/.cache}/edgetune/ort/node_modules/onnxruntime-node   (where setup_ort.sh installs it)
//   /tmp/ort/node_modules/onnxruntime-node                                     (the shared dev machine's copy)
const fs = require('fs');
const os = require('os');
const path = require('path');
const npy = require('./npy');

const EXIT_NO_ORT = 3;

function cacheDir() {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'edgetune', 'ort');
}

function load() {
  const tried = [];
  const candidates = [];
  if (process.env.EDGETUNE_ORT_DIR) candidates.push(path.join(process.env.EDGETUNE_ORT_DIR, 'node_modules', 'onnxruntime-node'));
  candidates.push('onnxruntime-node');
  candidates.push(path.join(cacheDir(), 'node_modules', 'onnxruntime-node'));
  candidates.push('/tmp/ort/node_modules/onnxruntime-node');
  for (const c of candidates) {
    if (c !== 'onnxruntime-node' && !fs.existsSync(c)) {
      tried.push(c);
      continue;
    }
    try {
      const ort = require(c);
      ort.modulePath = c === 'onnxruntime-node' ? path.dirname(require.resolve(`${c}/package.json`)) : c;
      return ort;
    } catch (e) {
      tried.push(`${c} (${e.code || e.message.split('\n')[0]})`);
    }
  }
  process.stderr.write(`onnxruntime-node not found (tried: ${tried.join(', ')}); ` +
    'run tests/bench/setup_ort.sh, or set EDGETUNE_ORT_DIR or NODE_PATH\n');
  process.exit(EXIT_NO_ORT);
}

function version(ort) {
  return (ort.env && ort.env.versions && (ort.env.versions.node || ort.env.versions.common)) || 'unknown';
}

function sessionOptions(threads) {
  // logSeverityLevel 3: errors only; ORT's warnings (e.g. initializers listed as graph inputs) are noise here.
  const o = { graphOptimizationLevel: 'all', executionProviders: ['cpu'], executionMode: 'sequential',
    logSeverityLevel: 3 };
  if (threads > 0) {
    o.intraOpNumThreads = threads;
    o.interOpNumThreads = 1;
  }
  return o;
}

// Same rule as `edgetune run --output-dir`: every char outside [A-Za-z0-9._-] becomes '_'.
function sanitize(name) {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

function toTensor(ort, arr) {
  return new ort.Tensor(arr.type, arr.data, arr.dims);
}

// Files next to the model that the fixture generator writes: <base>.input.npy or <base>.input.<k>.npy.
function siblingInputs(modelPath, count) {
  const base = modelPath.replace(/\.onnx$/, '');
  if (count === 1 && fs.existsSync(`${base}.input.npy`)) return [`${base}.input.npy`];
  const files = [];
  for (let k = 0; k < count; k++) {
    if (!fs.existsSync(`${base}.input.${k}.npy`)) return null;
    files.push(`${base}.input.${k}.npy`);
  }
  return files;
}

const TYPED = {
  float32: Float32Array, float64: Float64Array, int32: Int32Array, int64: BigInt64Array, uint8: Uint8Array,
  int8: Int8Array, bool: Uint8Array, float16: Uint16Array, int16: Int16Array, uint16: Uint16Array,
};

// A deterministic input for a model with no input files: symbolic dims become 1, values in [0, 1).
function syntheticInput(meta) {
  const dims = (meta.shape || []).map((d) => (typeof d === 'number' && d > 0 ? d : 1));
  const count = dims.reduce((a, b) => a * b, 1);
  const Ctor = TYPED[meta.type];
  if (!Ctor) throw new Error(`input '${meta.name}': cannot synthesise type ${meta.type}; pass an .npy file`);
  const data = new Ctor(count); // integer, bool and float16 inputs stay zero
  if (Ctor === Float32Array || Ctor === Float64Array) {
    let s = 12345;
    for (let i = 0; i < count; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      data[i] = (s >>> 8) / 16777216;
    }
  }
  return { type: meta.type, dims, data };
}

// specs: list of 'FILE.npy' (graph input order) or 'NAME=FILE.npy'. Returns {feeds, sources}.
function buildFeeds(ort, session, modelPath, specs) {
  const names = session.inputNames;
  const feeds = {};
  const sources = {};
  let pos = 0;
  for (const s of specs) {
    const eq = s.indexOf('=');
    let name;
    let file;
    if (eq > 0 && !fs.existsSync(s)) {
      name = s.slice(0, eq);
      file = s.slice(eq + 1);
      if (!names.includes(name)) throw new Error(`no graph input named '${name}' (inputs: ${names.join(', ')})`);
    } else {
      if (pos >= names.length) throw new Error(`${s}: more input files than the model's ${names.length} inputs`);
      name = names[pos++];
      file = s;
    }
    feeds[name] = toTensor(ort, npy.read(file));
    sources[name] = file;
  }
  const missing = names.filter((n) => !(n in feeds));
  if (missing.length > 0 && specs.length === 0) {
    const files = siblingInputs(modelPath, names.length);
    if (files) return buildFeeds(ort, session, modelPath, files);
    const meta = session.inputMetadata || [];
    for (const n of missing) {
      const m = meta.find((x) => x.name === n);
      if (!m) throw new Error(`input '${n}': no file given and no metadata to synthesise it`);
      feeds[n] = toTensor(ort, syntheticInput(m));
      sources[n] = 'synthetic';
    }
    return { feeds, sources };
  }
  if (missing.length > 0) throw new Error(`no file for input(s): ${missing.join(', ')}`);
  return { feeds, sources };
}

module.exports = { load, version, sessionOptions, sanitize, buildFeeds, cacheDir, EXIT_NO_ORT };

// `node tests/bench/ort.js` prints the folder of the module it finds (exit 3 if none): setup_ort.sh uses it.
if (require.main === module) {
  const ort = load();
  process.stdout.write(`${ort.modulePath}\t${version(ort)}\n`);
}
