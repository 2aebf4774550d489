#!/usr/bin/env node
'use strict';
// check_fixtures.js: runs every committed fixture model in ONNX Runtime and compares its outputs with the
// PyTorch (or numpy) reference outputs the generator wrote, using the tolerances edgetune's tests use:
// cosine >= 0.99999 and max relative error <= 1e-4, where relative error = max|ort - ref| / max|ref|.
//
//   node tests/bench/check_fixtures.js [--write-ort] [MODELS_DIR (default fixtures/models)]
//
// --write-ort also writes <name>.ort_output[.k].npy for the models manifest.json lists under ort_reference.
// It also checks the accuracy of every trained model (digits, fmnist_*) on its <name>.eval/ under ORT, runs
// demo.eval, feeds dynamic_shape a batch of 3, and reports what ORT makes of each file in fixtures/bad/
// (information only). Exit 0 all agree, 1 a mismatch, 3 no ORT.
const fs = require('fs');
const path = require('path');
const npy = require('./npy');
const O = require('./ort');

const COS_MIN = 0.99999;
const REL_MAX = 1e-4;

function compare(a, ref) {
  let dot = 0;
  let na = 0;
  let nb = 0;
  let maxAbs = 0;
  let maxRef = 0;
  for (let i = 0; i < ref.length; i++) {
    const x = Number(a[i]);
    const y = Number(ref[i]);
    dot += x * y;
    na += x * x;
    nb += y * y;
    maxAbs = Math.max(maxAbs, Math.abs(x - y));
    maxRef = Math.max(maxRef, Math.abs(y));
  }
  const cos = na === 0 && nb === 0 ? 1 : dot / Math.sqrt(na * nb);
  return { cos, maxAbs, rel: maxRef > 0 ? maxAbs / maxRef : maxAbs };
}

function argmax(d) {
  let best = 0;
  for (let i = 1; i < d.length; i++) if (d[i] > d[best]) best = i;
  return best;
}

// fixtures/models/ has manifest.json; for a folder without one (fixtures/large/) the entries are derived from
// <name>.onnx, <name>.input[.k].npy and <name>.output[.k].npy, matched to the graph in order.
async function readManifest(ort, dir) {
  const mf = path.join(dir, 'manifest.json');
  if (fs.existsSync(mf)) return JSON.parse(fs.readFileSync(mf, 'utf8'));
  const models = {};
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.onnx')).sort()) {
    const name = f.slice(0, -5);
    const s = await ort.InferenceSession.create(path.join(dir, f), O.sessionOptions(1));
    const files = (kind, names) => names.map((n, k) => ({
      name: n, file: names.length === 1 ? `${name}.${kind}.npy` : `${name}.${kind}.${k}.npy` }));
    models[name] = { file: f, inputs: files('input', s.inputNames), outputs: files('output', s.outputNames) };
  }
  return { ort_reference: [], models };
}

async function main() {
  const argv = process.argv.slice(2);
  const write = argv.includes('--write-ort');
  const dir = argv.find((a) => !a.startsWith('--')) || path.join(__dirname, '..', '..', 'fixtures', 'models');
  const ort = O.load();
  const manifest = await readManifest(ort, dir);
  process.stdout.write(`ONNX Runtime ${O.version(ort)} vs reference outputs in ${dir}\n`);
  process.stdout.write(`${'model'.padEnd(22)} ${'output'.padEnd(10)} ${'cosine'.padEnd(18)} ` +
    `${'max abs err'.padEnd(11)} ${'max rel err'.padEnd(11)} verdict\n`);
  let bad = 0;
  const sessions = {};
  for (const name of Object.keys(manifest.models).sort()) {
    const m = manifest.models[name];
    const s = await ort.InferenceSession.create(path.join(dir, m.file), O.sessionOptions(1));
    sessions[name] = s;
    const feeds = {};
    for (const inp of m.inputs) {
      const a = npy.read(path.join(dir, inp.file));
      feeds[inp.name] = new ort.Tensor(a.type, a.data, a.dims);
    }
    const res = await s.run(feeds);
    m.outputs.forEach((o, k) => {
      const ref = npy.read(path.join(dir, o.file));
      const got = res[o.name];
      let verdict;
      let c = { cos: NaN, maxAbs: NaN, rel: NaN };
      if (got.dims.join() !== ref.dims.join()) {
        verdict = `FAIL shape ${got.dims} vs ${ref.dims}`;
      } else {
        c = compare(got.data, ref.data);
        verdict = c.cos >= COS_MIN && c.rel <= REL_MAX ? 'ok' : 'FAIL';
      }
      if (verdict !== 'ok') bad++;
      process.stdout.write(`${name.padEnd(22)} ${o.name.slice(0, 10).padEnd(10)} ${c.cos.toFixed(15).padEnd(18)} ` +
        `${c.maxAbs.toExponential(2).padEnd(11)} ${c.rel.toExponential(2).padEnd(11)} ${verdict}\n`);
      if (write && manifest.ort_reference.includes(name)) {
        const f = m.outputs.length === 1 ? `${name}.ort_output.npy` : `${name}.ort_output.${k}.npy`;
        npy.write(path.join(dir, f), got.type, got.dims, got.data);
      }
    });
  }

  // Every trained model (a manifest entry with `accuracy`) on its labelled <name>.eval/: the count of correct
  // top-1 answers must be PyTorch's exactly. Files are taken in name order, as edgetune and labels.txt take them.
  for (const name of Object.keys(manifest.models).sort()) {
    const want = manifest.models[name].accuracy;
    const evalDir = path.join(dir, `${name}.eval`);
    if (!want || !sessions[name] || !fs.existsSync(path.join(evalDir, 'labels.txt'))) continue;
    const labels = fs.readFileSync(path.join(evalDir, 'labels.txt'), 'utf8').trim().split('\n').map(Number);
    const files = fs.readdirSync(evalDir).filter((f) => f.endsWith('.npy')).sort();
    let correct = 0;
    for (let i = 0; i < files.length && i < labels.length; i++) {
      const a = npy.read(path.join(evalDir, files[i]));
      const r = await sessions[name].run({ input: new ort.Tensor(a.type, a.data, a.dims) });
      if (argmax(r.output.data) === labels[i]) correct++;
    }
    const ok = files.length === labels.length && files.length === want.eval_images && correct === want.correct;
    if (!ok) bad++;
    process.stdout.write(`${name}.eval: ORT accuracy ${(correct / labels.length).toFixed(4)} (${correct}/` +
      `${labels.length}, ${files.length} files), PyTorch ${want.top1.toFixed(4)} (${want.correct}/${want.eval_images}): ` +
      `${ok ? 'ok' : 'FAIL'}\n`);
  }
  if (sessions.demo && fs.existsSync(path.join(dir, 'demo.eval'))) {
    const files = fs.readdirSync(path.join(dir, 'demo.eval')).filter((f) => f.endsWith('.npy')).sort();
    const top = [];
    for (const f of files) {
      const a = npy.read(path.join(dir, 'demo.eval', f));
      const r = await sessions.demo.run({ input: new ort.Tensor(a.type, a.data, a.dims) });
      top.push(argmax(r.output.data));
    }
    process.stdout.write(`demo.eval: ${files.length} inputs run, ${new Set(top).size} distinct top-1 classes\n`);
  }
  if (sessions.dynamic_shape) {
    const a = npy.read(path.join(dir, 'dynamic_shape.input.npy'));
    const ref = npy.read(path.join(dir, 'dynamic_shape.output.npy'));
    const n = a.data.length;
    const big = new Float32Array(3 * n);
    for (let b = 0; b < 3; b++) big.set(a.data, b * n);
    const r = await sessions.dynamic_shape.run({ input: new ort.Tensor('float32', big, [3, ...a.dims.slice(1)]) });
    let worst = 1;
    for (let b = 0; b < 3; b++) {
      worst = Math.min(worst, compare(r.output.data.subarray(b * ref.data.length, (b + 1) * ref.data.length), ref.data).cos);
    }
    const ok = r.output.dims[0] === 3 && worst >= COS_MIN;
    if (!ok) bad++;
    process.stdout.write(`dynamic_shape: batch 3 gives [${r.output.dims}], worst row cosine ${worst.toFixed(9)}: ` +
      `${ok ? 'ok' : 'FAIL'}\n`);
  }
  const badDir = path.join(dir, '..', 'bad');
  if (path.basename(path.resolve(dir)) === 'models' && fs.existsSync(badDir)) {
    for (const f of fs.readdirSync(badDir).filter((x) => x.endsWith('.onnx')).sort()) {
      let what;
      try {
        await ort.InferenceSession.create(path.join(badDir, f), O.sessionOptions(1));
        what = 'loads';
      } catch (e) {
        what = 'rejects: ' + e.message.split('\n')[0].replace(/\s+/g, ' ').slice(0, 110);
      }
      process.stdout.write(`bad/${f.padEnd(26)} ORT ${what}\n`);
    }
  }
  process.stdout.write(bad ? `check_fixtures.js: ${bad} mismatch(es)\n` : 'check_fixtures.js: all fixtures agree\n');
  process.exit(bad ? 1 : 0);
}

main().catch((e) => {
  process.stderr.write(`check_fixtures.js: ${e.stack}\n`);
  process.exit(1);
});
