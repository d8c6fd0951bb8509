// The official `@anthropic-ai/sdk` npm package drives batchtop-sim's Message Batches API:
// create, retrieve (counts all in processing until ended), list, results, cancel, delete.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { Anthropic, NotFoundError, AuthenticationError } = require('@anthropic-ai/sdk');
const { SIM_URL, expected, until } = require('./common.js');

const KEY = 'sk-ant-sdk-test';
const client = new Anthropic({ apiKey: KEY, baseURL: SIM_URL, maxRetries: 0 });

const requests = Array.from({ length: 5 }, (_, i) => ({
  custom_id: `msg-${i}`,
  params: { model: 'claude-haiku-4-5', max_tokens: 16, system: 'You label feedback.',
            messages: [{ role: 'user', content: `Classify as bug, feature or praise: #${i}` +
                                                (i === 2 ? ' sdk-fail' : '') }] },
}));

test('create, retrieve, list, results, delete', async () => {
  let batch = await client.messages.batches.create({ requests });
  assert.equal(batch.type, 'message_batch');
  assert.equal(batch.processing_status, 'in_progress');
  assert.equal(batch.results_url, null);
  assert.match(batch.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/);
  batch = await until(() => client.messages.batches.retrieve(batch.id), (b) => {
    if (b.processing_status !== 'ended') {
      assert.deepEqual(b.request_counts,
                       { processing: 5, succeeded: 0, errored: 0, canceled: 0, expired: 0 });
      assert.equal(b.results_url, null);
    }
    return b.processing_status === 'ended';
  });
  assert.deepEqual(batch.request_counts,
                   { processing: 0, succeeded: 4, errored: 1, canceled: 0, expired: 0 });
  assert.ok(batch.ended_at && batch.results_url);

  const ids = [];
  for await (const b of client.messages.batches.list({ limit: 1 })) ids.push(b.id);
  assert.ok(ids.includes(batch.id));

  const results = [];
  for await (const r of await client.messages.batches.results(batch.id)) results.push(r);
  assert.equal(results.length, 5);
  for (const r of results) {
    const req = requests.find((q) => q.custom_id === r.custom_id);
    if (r.custom_id === 'msg-2') {
      assert.equal(r.result.type, 'errored');
      assert.equal(r.result.error.error.type, 'api_error'); // the doubly nested shape
      continue;
    }
    assert.equal(r.result.type, 'succeeded');
    const want = expected(req.params);
    assert.equal(r.result.message.content[0].text, want.answer);
    assert.equal(r.result.message.usage.input_tokens, want.input_tokens);
    assert.equal(r.result.message.usage.output_tokens, want.output_tokens);
  }

  const del = await client.messages.batches.delete(batch.id);
  assert.equal(del.type, 'message_batch_deleted');
  await assert.rejects(client.messages.batches.retrieve(batch.id), NotFoundError);
});

test('cancel: canceling, then ended with canceled requests', async () => {
  const reqs = requests.map((r) => ({ ...r, custom_id: 'cancel-' + r.custom_id }));
  let batch = await client.messages.batches.create({ requests: reqs });
  batch = await client.messages.batches.cancel(batch.id);
  assert.equal(batch.processing_status, 'canceling');
  assert.ok(batch.cancel_initiated_at);
  batch = await until(() => client.messages.batches.retrieve(batch.id),
                      (b) => b.processing_status === 'ended');
  assert.ok(batch.request_counts.canceled > 0);
  const c = batch.request_counts;
  assert.equal(c.processing + c.succeeded + c.errored + c.canceled + c.expired, 5);
});

test('messages.create and a wrong key', async () => {
  const params = { model: 'claude-haiku-4-5', max_tokens: 3,
                   messages: [{ role: 'user', content: 'Write a long story about the sea.' }] };
  const msg = await client.messages.create(params);
  assert.equal(msg.content[0].text, expected(params).answer);
  assert.equal(msg.stop_reason, 'max_tokens');
  const bad = new Anthropic({ apiKey: 'sk-ant-wrong', baseURL: SIM_URL, maxRetries: 0 });
  await assert.rejects(bad.messages.batches.list(), AuthenticationError);
});
