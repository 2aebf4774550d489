#!/usr/bin/env node
'use strict';
// test_npy.js: checks npy.js against numpy itself (needs /usr/bin/python3 with numpy; skips with exit 77
// without it). Writes arrays of every supported dtype from JS, reads them in numpy, and the reverse, including
// a version 2.0 file, then checks the errors for Fortran order, big-endian and truncated data.
const cp = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const npy = require('./npy');

const py = '/usr/bin/python3';
if (!fs.existsSync(py) || cp.spawnSync(py, ['-c', 'import numpy']).status !== 0) {
  process.stdout.write('test_npy.js: skipped, no numpy\n');
  process.exit(77);
}
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npyjs-'));
let failures = 0;
function check(cond, what) {
  if (!cond) {
    failures++;
    process.stdout.write(`FAIL ${what}\n`);
  }
}

const cases = [
  ['float32', Float32Array.from([1.5, -2.25, 3e-8, 0, 7, 8]), [2, 3]],
  ['float64', Float64Array.from([Math.PI]), [1]],
  ['int64', BigInt64Array.from([-(2n ** 40n), 5n, 0n]), [3]],
  ['int32', Int32Array.from([-7, 2 ** 30]), [1, 2]],
  ['uint8', Uint8Array.from([0, 255, 3, 4]), [2, 1, 2]],
  ['int8', Int8Array.from([-128, 127]), [2]],
  ['bool', Uint8Array.from([1, 0, 1]), [3]],
  ['float16', Uint16Array.from([0x3c00, 0xc000]), [2]],
  ['float32', new Float32Array(0), [0, 4]],
  ['float32', Float32Array.from([42]), []],
];
cases.forEach(([type, data, dims], k) => {
  const f = path.join(dir, `js_${k}.npy`);
  npy.write(f, type, dims, data);
  const r = cp.spawnSync(py, ['-c', 'import numpy as np,sys; a=np.load(sys.argv[1]); ' +
    'print(a.dtype.name, list(a.shape), a.flatten().tolist() if a.dtype.name != "float16" else ' +
    'a.view("u2").flatten().tolist())', f], { encoding: 'utf8' });
  check(r.status === 0, `numpy reads ${type}: ${r.stderr}`);
  const back = npy.read(f);
  check(back.type === type && JSON.stringify(back.dims) === JSON.stringify(dims), `round trip meta ${type}`);
  check(back.data.length === data.length && back.data.every((v, i) => v === data[i]), `round trip data ${type}`);
  const expectName = { float32: 'float32', float64: 'float64', int64: 'int64', int32: 'int32', uint8: 'uint8',
    int8: 'int8', bool: 'bool', float16: 'float16' }[type];
  check(r.stdout.startsWith(expectName + ' ' + JSON.stringify(dims).replace(/,/g, ', ')),
    `numpy sees ${type} ${dims}: ${r.stdout.trim()}`);
});

const gen = cp.spawnSync(py, ['-c', `
import numpy as np, numpy.lib.format as F
d = ${JSON.stringify(dir)}
np.save(d + '/np_f4.npy', np.arange(12, dtype=np.float32).reshape(3, 4) / 8)
np.save(d + '/np_i8.npy', np.array([[1, -2], [3, 2**50]], dtype=np.int64))
with open(d + '/np_v2.npy', 'wb') as f:
    F.write_array(f, np.arange(5, dtype=np.float32), version=(2, 0))
np.save(d + '/np_fortran.npy', np.asfortranarray(np.ones((2, 3), np.float32)))
np.save(d + '/np_be.npy', np.ones(3, dtype='>f4'))
b = open(d + '/np_f4.npy', 'rb').read()
open(d + '/np_trunc.npy', 'wb').write(b[:-5])
`]);
check(gen.status === 0, `numpy wrote its files: ${gen.stderr}`);
const f4 = npy.read(path.join(dir, 'np_f4.npy'));
check(f4.type === 'float32' && f4.dims.join() === '3,4' && f4.data[11] === 11 / 8, 'reads numpy float32');
const i8 = npy.read(path.join(dir, 'np_i8.npy'));
check(i8.type === 'int64' && i8.data[3] === 2n ** 50n && i8.data[1] === -2n, 'reads numpy int64');
const v2 = npy.read(path.join(dir, 'np_v2.npy'));
check(v2.dims.join() === '5' && v2.data[4] === 4, 'reads version 2.0');
for (const [name, want] of [['np_fortran', /Fortran/], ['np_be', /unsupported dtype '>f4'/], ['np_trunc', /data bytes/]]) {
  let msg = '';
  try { npy.read(path.join(dir, `${name}.npy`)); } catch (e) { msg = e.message; }
  check(want.test(msg), `${name} rejected with a clear message (got '${msg}')`);
}
fs.rmSync(dir, { recursive: true, force: true });
process.stdout.write(failures ? `test_npy.js: ${failures} failure(s)\n` : 'test_npy.js: ok\n');
process.exit(failures ? 1 : 0);
