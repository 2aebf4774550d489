#!/usr/bin/env node
'use strict';
// ort_accuracy.js: a saved model in ONNX Runtime over an evaluation folder: accuracy against labels.txt and the
// arg-max of every input, to set beside edgetune's numbers for the same file (tests/bench/ort_recover.sh).
//
//   node tests/bench/ort_accuracy.js MODEL.onnx DIR [--max N] [--level all|basic|disabled] [--argmax OUT.txt]
//
// DIR holds one .npy per input of a single-input model, read in file-name order, and labels.txt (one integer per
// line, same order) as `edgetune bench --eval DIR` reads them. Prints "accuracy A (C of N) level L". Exit 0 ok,
// 1 ORT failed, 2 bad usage, 3 no ORT.
const fs = require('fs');
const path = require('path');
const npy = require('./npy');
const O = require('./ort');

function usage(msg) {
  if (msg) process.stderr.write(`ort_accuracy.js: ${msg}\n`);
  process.stderr.write('usage: ort_accuracy.js MODEL.onnx DIR [--max N] [--level all|basic|disabled] [--argmax OUT]\n');
  process.exit(2);
}

async function main() {
  const argv = process.argv.slice(2);
  let max = Infinity, level = 'all', argmaxOut = null;
  const pos = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--max') max = Number(argv[++i]);
    else if (argv[i] === '--level') level = argv[++i];
    else if (argv[i] === '--argmax') argmaxOut = argv[++i];
    else pos.push(argv[i]);
  }
  if (pos.length !== 2 || !(max > 0)) usage('give MODEL.onnx and DIR');
  const [model, dir] = pos;
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.npy')).sort().slice(0, max);
  if (!files.length) usage(`${dir}: no .npy files`);
  const labelsPath = path.join(dir, 'labels.txt');
  const labels = fs.existsSync(labelsPath) ? fs.readFileSync(labelsPath, 'utf8').split(/\s+/).filter((s) => s).map(Number) : null;
  const ort = O.load();
  const opts = O.sessionOptions(1);
  opts.graphOptimizationLevel = level;
  const s = await ort.InferenceSession.create(model, opts);
  let correct = 0;
  const arg = [];
  for (let k = 0; k < files.length; k++) {
    const x = npy.read(path.join(dir, files[k]));
    const r = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x.data, x.dims) });
    const y = r[s.outputNames[0]].data;
    let best = 0;
    for (let j = 1; j < y.length; j++) if (y[j] > y[best]) best = j;
    arg.push(best);
    if (labels && best === labels[k]) correct++;
  }
  if (argmaxOut) fs.writeFileSync(argmaxOut, arg.join('\n') + '\n');
  const acc = labels ? (100 * correct / files.length).toFixed(2) : 'n/a';
  process.stdout.write(`accuracy ${acc} % (${correct} of ${files.length}) level ${level}\n`);
}

main().catch((e) => { process.stderr.write(`ort_accuracy.js: ${e.message}\n`); process.exit(1); });
