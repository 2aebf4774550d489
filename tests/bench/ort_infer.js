#!/usr/bin/env node
'use strict';
// ort_infer.js: run a model once in ONNX Runtime (CPU, graphOptimizationLevel 'all') and write every output as
// DIR/<name>.npy, names sanitised like `edgetune run --output-dir` ([^A-Za-z0-9._-] -> '_').
//
//   node tests/bench/ort_infer.js MODEL.onnx [IN.npy | NAME=IN.npy]... --out DIR [--threads N]
//
// Input files bind to the graph inputs in order (or by NAME=); with none, <model>.input[.k].npy next to the model
// is used if present, else a deterministic synthetic input. Exit 0 ok, 1 ORT failed, 2 bad usage, 3 no ORT.
const fs = require('fs');
const path = require('path');
const npy = require('./npy');
const O = require('./ort');

function usage(msg) {
  if (msg) process.stderr.write(`ort_infer.js: ${msg}\n`);
  process.stderr.write('usage: ort_infer.js MODEL.onnx [IN.npy | NAME=IN.npy]... --out DIR [--threads N]\n');
  process.exit(2);
}

async function main() {
  const argv = process.argv.slice(2);
  let out = null;
  let threads = 0;
  const pos = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out' || a === '-o') out = argv[++i];
    else if (a === '--threads') threads = Number(argv[++i]);
    else if (a === '--input') pos.push(argv[++i]);
    else if (a === '-h' || a === '--help') usage();
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else pos.push(a);
  }
  if (pos.length < 1 || !out) usage(pos.length < 1 ? 'no model given' : '--out DIR is required');
  if (!Number.isInteger(threads) || threads < 0) usage('--threads takes a count >= 0');
  const model = pos.shift();
  if (!fs.existsSync(model)) usage(`${model}: no such file`);
  const ort = O.load();
  let session;
  try {
    session = await ort.InferenceSession.create(model, O.sessionOptions(threads));
  } catch (e) {
    process.stderr.write(`ort_infer.js: ${model}: ONNX Runtime could not load it: ${e.message.split('\n')[0]}\n`);
    process.exit(1);
  }
  let feeds;
  try {
    feeds = O.buildFeeds(ort, session, model, pos).feeds;
  } catch (e) {
    usage(e.message);
  }
  const results = await session.run(feeds);
  fs.mkdirSync(out, { recursive: true });
  for (const name of session.outputNames) {
    const t = results[name];
    const file = path.join(out, `${O.sanitize(name)}.npy`);
    npy.write(file, t.type, t.dims, t.data);
    process.stdout.write(`${name}\t${t.type}[${t.dims.join('x')}]\t${file}\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`ort_infer.js: ${e.message.split('\n')[0]}\n`);
  process.exit(1);
});
