// Shared by the SDK fidelity tests: where the sim is, the model's reference answers, polling.
'use strict';
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const SIM_URL = process.env.SIM_URL; // the sim itself (admin endpoints)
assert.ok(SIM_URL, 'SIM_URL is not set');
const REF = path.join(process.env.BATCHTOP_SOURCE_DIR || path.join(__dirname, '../..'),
                      'sim/model_ref.py');

// The answer sim/model_ref.py (the reference model) computes for a request body.
function expected(body) {
  return JSON.parse(execFileSync('python3', [REF], { input: JSON.stringify(body) }).toString());
}

async function admin(route, body) {
  const r = await fetch(SIM_URL + route, body === undefined ? {} :
                        { method: 'POST', body: JSON.stringify(body) });
  assert.equal(r.status, 200, `${route}: ${r.status}`);
  return r.json();
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Poll fn until pred holds (bounded: never a bare sleep); returns the last value.
async function until(fn, pred, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (pred(v)) return v;
    if (Date.now() > end) throw new Error('timed out waiting; last value: ' + JSON.stringify(v));
    await sleep(40);
  }
}

module.exports = { SIM_URL, expected, admin, until, sleep };
