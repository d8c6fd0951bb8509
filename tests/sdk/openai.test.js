// The official `openai` npm package drives batchtop-sim through the whole batch flow: any shape
// the SDK rejects, or any answer that differs from sim/model_ref.py, is a sim bug.
// Env: SIM_URL (the sim), OPENAI_BASE (default SIM_URL/v1; the Prism test points it at Prism).
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { OpenAI, toFile, ConflictError, AuthenticationError, NotFoundError } = require('openai');
const { SIM_URL, expected, admin, until } = require('./common.js');

const BASE = process.env.OPENAI_BASE || SIM_URL + '/v1';
// Behind Prism (test_sim_prism.sh) only the success paths run: the spec documents no error
// responses, so a deliberate 401/404/409/429 would be reported as an undocumented status.
const VIA_PRISM = !!process.env.SIM_VIA_PRISM;
const errorTest = VIA_PRISM ? test.skip : test;
const KEY = 'sk-sdk-test';
const client = new OpenAI({ apiKey: KEY, baseURL: BASE, maxRetries: 0 });

const rows = Array.from({ length: 6 }, (_, i) => ({
  custom_id: `row-${i}`, method: 'POST', url: '/v1/chat/completions',
  body: { model: 'gpt-4o-mini', max_tokens: 20, messages: [
    { role: 'system', content: 'You label customer feedback.' },
    { role: 'user', content: `Label this feedback as bug, feature, praise or other.\n` +
                             `Feedback #${i}: ${i === 3 ? 'sdk-fail ' : ''}it works` }] },
}));

async function upload(lines, name) {
  const text = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
  const file = await client.files.create({ file: await toFile(Buffer.from(text), name),
                                           purpose: 'batch' });
  assert.equal(file.object, 'file');
  assert.equal(file.purpose, 'batch');
  assert.equal(file.bytes, Buffer.byteLength(text));
  assert.equal(file.filename, name);
  return file;
}

async function jsonl(fileId) {
  const resp = await client.files.content(fileId);
  const text = await resp.text();
  return text.trim().split('\n').map((l) => JSON.parse(l));
}

test('upload, create, poll (counts rise), list, content', async () => {
  const file = await upload(rows, 'rows.jsonl');
  assert.equal((await client.files.retrieve(file.id)).id, file.id);
  let batch = await client.batches.create({ input_file_id: file.id,
    endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { suite: 'sdk' } });
  assert.equal(batch.status, 'validating');
  assert.equal(batch.metadata.suite, 'sdk');
  assert.ok(Number.isInteger(batch.created_at) && batch.expires_at > batch.created_at);
  const statuses = new Set();
  const progress = new Set();
  batch = await until(() => client.batches.retrieve(batch.id), (b) => {
    statuses.add(b.status);
    if (b.status === 'in_progress') progress.add(b.request_counts.completed + b.request_counts.failed);
    return b.status === 'completed';
  });
  assert.ok(statuses.has('in_progress'), [...statuses].join());
  assert.ok(progress.size >= 2, `counts rose during in_progress: ${[...progress]}`);
  assert.deepEqual(batch.request_counts, { total: 6, completed: 5, failed: 1 });
  assert.equal(batch.model, 'gpt-4o-mini');
  assert.ok(batch.completed_at >= batch.finalizing_at && batch.finalizing_at >= batch.in_progress_at);

  const ids = [];
  for await (const b of client.batches.list({ limit: 1 })) ids.push(b.id); // pages via `after`
  assert.ok(ids.includes(batch.id));

  const out = await jsonl(batch.output_file_id);
  assert.equal(out.length, 5);
  for (const line of out) {
    const row = rows.find((r) => r.custom_id === line.custom_id);
    const want = expected(row.body);
    assert.equal(line.response.status_code, 200);
    assert.equal(line.response.body.choices[0].message.content, want.answer);
    assert.equal(line.response.body.usage.prompt_tokens, want.input_tokens);
    assert.equal(line.response.body.usage.completion_tokens, want.output_tokens);
  }
  const err = await jsonl(batch.error_file_id);
  assert.equal(err.length, 1);
  assert.equal(err[0].custom_id, 'row-3');
  assert.equal(err[0].response.status_code, 500);
  assert.equal(err[0].response.body.error.type, 'server_error');

  const outFile = await client.files.retrieve(batch.output_file_id);
  assert.equal(outFile.purpose, 'batch_output');
  const del = await client.files.delete(file.id);
  assert.equal(del.deleted, true);
  if (!VIA_PRISM) await assert.rejects(client.files.retrieve(file.id), NotFoundError);
});

test('cancel: cancelling, then cancelled with partial results; 409 once finished', async () => {
  const lines = rows.map((r) => ({ ...r, custom_id: 'cancel-' + r.custom_id }));
  const file = await upload(lines, 'cancel.jsonl');
  let batch = await client.batches.create({ input_file_id: file.id,
    endpoint: '/v1/chat/completions', completion_window: '24h' });
  await until(() => client.batches.retrieve(batch.id),
              (b) => b.status === 'in_progress' && b.request_counts.completed > 0);
  batch = await client.batches.cancel(batch.id);
  assert.equal(batch.status, 'cancelling');
  assert.ok(batch.cancelling_at);
  batch = await until(() => client.batches.retrieve(batch.id), (b) => b.status === 'cancelled');
  assert.ok(batch.request_counts.completed >= 1 && batch.request_counts.completed < 6);
  const errs = await jsonl(batch.error_file_id);
  assert.ok(errs.some((l) => l.response === null && l.error.code === 'batch_cancelled'));
  assert.equal((await client.batches.cancel(batch.id)).status, 'cancelled');
  if (VIA_PRISM) return;

  const done = await client.batches.create({ input_file_id: (await upload(
    [{ ...rows[0], custom_id: 'quick' }], 'one.jsonl')).id, endpoint: '/v1/chat/completions',
    completion_window: '24h' });
  await until(() => client.batches.retrieve(done.id), (b) => b.status === 'completed');
  await assert.rejects(client.batches.cancel(done.id), ConflictError);
});

test('direct endpoints: chat, responses, embeddings', async () => {
  const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Rate as low, medium or high: fine' }] };
  const chat = await client.chat.completions.create(body);
  assert.equal(chat.choices[0].message.content, expected(body).answer);
  assert.equal(chat.usage.prompt_tokens, expected(body).input_tokens);
  const rbody = { model: 'gpt-5', instructions: 'Be brief.', input: 'Summarise this short text.' };
  const resp = await client.responses.create(rbody);
  assert.equal(resp.output_text, expected(rbody).answer);
  const emb = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] });
  assert.equal(emb.data.length, 2);
  assert.equal(emb.data[0].embedding.length, 64);
  const norm = Math.sqrt(emb.data[0].embedding.reduce((s, x) => s + x * x, 0));
  assert.ok(Math.abs(norm - 1) < 1e-3);
});

errorTest('429 with retry-after-ms: the SDK retries and succeeds', async () => {
  const before = (await admin('/admin/stats')).faults['429'];
  await admin('/admin/config', { burst_429: 1, retry_after_ms: 50 });
  const retrying = new OpenAI({ apiKey: KEY, baseURL: BASE, maxRetries: 2 });
  const chat = await retrying.chat.completions.create(
    { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(chat.object, 'chat.completion');
  assert.equal((await admin('/admin/stats')).faults['429'], before + 1);
});

errorTest('a wrong key gets the 401 envelope', async () => {
  const bad = new OpenAI({ apiKey: 'sk-wrong', baseURL: BASE, maxRetries: 0 });
  await assert.rejects(bad.batches.list(), AuthenticationError);
});

test('no request ran twice', async () => {
  const stats = await admin('/admin/stats');
  assert.equal(stats.max_executions_per_custom_id, 1);
  assert.ok(stats.executions_total >= 7);
});
