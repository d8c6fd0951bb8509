-- The dashboard's fixed store: four jobs in different states, batches in every remote status,
-- error groups, retried tasks, attempts spread over time, and a three-stage pipeline. Used by the golden-screen tests,
-- the store_query unit tests and (as a clearly labelled fixture) the screenshots before a
-- live engine exists. Times are relative to fx.now (unix ms), which the caller sets first:
--   CREATE TEMP TABLE fx(now INTEGER); INSERT INTO fx VALUES (<now>);
-- Ids are fixed so the expected screens are stable. Tasks are written with their input and
-- request inline (two scratch columns) and moved to task_inputs at the end.

ALTER TABLE tasks ADD COLUMN input TEXT;
ALTER TABLE tasks ADD COLUMN request TEXT;

INSERT INTO jobs (id, name, provider, model, endpoint, state, template_path, input_path,
                  input_format, input_fields, est_cost_usd, est_cost_std_usd, est_input_tokens,
                  est_output_tokens, created_at, updated_at, finished_at)
SELECT 'fb7k2m9q', 'feedback-label', 'openai', 'gpt-4o-mini', '/v1/chat/completions', 'running',
       'examples/label.tmpl', 'examples/feedback.csv', 'csv', '["id","feedback"]',
       0.0421, 0.0842, 182000, 9000, now - 720000, now - 2000, NULL FROM fx
UNION ALL
SELECT 'ctb93xq1', 'support-triage', 'anthropic', 'claude-haiku-4-5', '/v1/messages', 'completed',
       'triage.tmpl', 'tickets.jsonl', 'jsonl', '["ticket","body"]',
       0.3120, 0.6240, 96000, 24000, now - 7200000, now - 5400000, now - 5400000 FROM fx
UNION ALL
SELECT 'lc4p8w2z', 'product-tags 🚀 ünïcødé catalogue with a very long name indeed', 'local',
       'llama3.1:8b', '/v1/chat/completions', 'failed', 'tags.tmpl', 'products.csv', 'csv',
       '["sku","title"]', 0, 0, 21000, 2500, now - 93600000, now - 90000000, now - 90000000
  FROM fx
UNION ALL
SELECT 'dr1ft5zz', 'draft-summaries', 'openai', 'gpt-4o', '/v1/chat/completions', 'draft',
       'sum.tmpl', 'docs.jsonl', 'jsonl', '["doc"]', 1.2500, 2.5000, 410000, 50000,
       now - 180000, now - 180000, NULL FROM fx;

-- Job feedback-label: 1000 rows in 4 remote batches and one still uploading.
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 1000),
  rows(i, text) AS (
    SELECT i, CASE i % 5
      WHEN 0 THEN 'The app crashes when I upload a photo from the gallery.'
      WHEN 1 THEN 'Please add a dark mode, my eyes hurt at night.'
      WHEN 2 THEN 'Love the new search, it finds everything instantly!'
      WHEN 3 THEN 'Export to CSV drops the last column.'
      ELSE 'Where do I change my billing address?' END || ' #' || i FROM seq)
INSERT INTO tasks (job_id, row_no, line_no, custom_id, state, input, request, request_bytes,
                   est_input_tokens, updated_at)
SELECT 'fb7k2m9q', i, i + 1, 'row-' || i, 'pending',
       json_object('id', i, 'feedback', text),
       json_object('custom_id', 'row-' || i, 'method', 'POST', 'url', '/v1/chat/completions',
         'body', json_object('model', 'gpt-4o-mini', 'max_tokens', 50, 'temperature', 0,
           'messages', json_array(
             json_object('role', 'system', 'content', 'You label customer feedback.'),
             json_object('role', 'user', 'content',
               'Label this feedback as bug, feature, praise or other. Answer with the label only.'
               || char(10) || char(10) || 'Feedback: ' || text)))),
       300, 182, (SELECT now FROM fx) - 700000
FROM rows;

INSERT INTO batches (id, job_id, chunk_no, round, provider, tag, state, remote_id, remote_status,
                     n_requests, n_succeeded, n_failed, created_at, submitted_at,
                     remote_created_at, in_progress_at, finalizing_at, ended_at, expires_at,
                     updated_at)
SELECT 1, 'fb7k2m9q', 1, 1, 'openai', 'bt-fb7k2m9q-1-1', 'done', 'batch_6745a1f0c2e8', 'completed',
       250, 250, 0, now - 700000, now - 690000, now - 690000, now - 680000, now - 420000,
       now - 400000, now + 85680000, now - 400000 FROM fx
UNION ALL
SELECT 2, 'fb7k2m9q', 2, 1, 'openai', 'bt-fb7k2m9q-2-1', 'done', 'batch_6745a1f3d9a1', 'completed',
       250, 250, 0, now - 700000, now - 689000, now - 689000, now - 670000, now - 300000,
       now - 280000, now + 85711000, now - 280000 FROM fx
UNION ALL
SELECT 3, 'fb7k2m9q', 3, 1, 'openai', 'bt-fb7k2m9q-3-1', 'remote', 'batch_6745a1f77b30', 'finalizing',
       250, 120, 45, now - 700000, now - 688000, now - 688000, now - 660000, now - 30000,
       NULL, now + 85712000, now - 30000 FROM fx
UNION ALL
SELECT 4, 'fb7k2m9q', 4, 1, 'openai', 'bt-fb7k2m9q-4-1', 'remote', 'batch_6745a1fa0c4d', 'in_progress',
       215, 0, 0, now - 700000, now - 687000, now - 687000, now - 600000, NULL,
       NULL, now + 85713000, now - 5000 FROM fx
UNION ALL
SELECT 5, 'fb7k2m9q', 5, 1, 'openai', 'bt-fb7k2m9q-5-1', 'remote', 'batch_6745a1fd5e11', 'validating',
       35, 0, 0, now - 60000, now - 50000, now - 50000, NULL, NULL,
       NULL, now + 86350000, now - 50000 FROM fx
UNION ALL
SELECT 6, 'fb7k2m9q', 1, 2, 'openai', 'bt-fb7k2m9q-1-2', 'done', 'batch_6745a2c01f77', 'completed',
       1, 0, 1, now - 14000, now - 13000, now - 13000, now - 12000, now - 7000,
       now - 6000, now + 86386000, now - 6000 FROM fx;

-- States by row: 1-620 succeeded, 621-645 rate limited, 646-660 invalid, 661-665 expired,
-- 666-965 running, 966-1000 in the batch still validating (running too).
UPDATE tasks SET state = CASE
    WHEN row_no <= 620 THEN 'succeeded'
    WHEN row_no <= 660 THEN 'failed'
    WHEN row_no <= 665 THEN 'expired'
    ELSE 'running' END,
  error_code = CASE WHEN row_no BETWEEN 621 AND 645 THEN 'rate_limit_exceeded'
    WHEN row_no BETWEEN 646 AND 660 THEN 'invalid_request_error' END,
  output = CASE WHEN row_no <= 620 THEN
    CASE row_no % 5 WHEN 0 THEN 'bug' WHEN 1 THEN 'feature' WHEN 2 THEN 'praise'
      WHEN 3 THEN 'bug' ELSE 'other' END END,
  attempts = CASE WHEN row_no = 621 THEN 2 WHEN row_no <= 965 THEN 1 ELSE 1 END
WHERE job_id = 'fb7k2m9q';
UPDATE tasks SET state = 'pending', attempts = 0 WHERE job_id = 'fb7k2m9q' AND row_no > 990;

-- Response bodies of the finished attempts (ids: the task's, 100000 + the task's for the retry).
INSERT INTO responses (id, body)
SELECT t.id,
       CASE WHEN t.row_no <= 620 THEN json_object('id', 'chatcmpl-' || t.row_no, 'object',
         'chat.completion', 'model', 'gpt-4o-mini-2024-07-18', 'choices', json_array(
           json_object('index', 0, 'message', json_object('role', 'assistant', 'content',
             t.output), 'finish_reason', 'stop')), 'usage', json_object('prompt_tokens', 181,
           'completion_tokens', 1, 'total_tokens', 182))
            WHEN t.row_no <= 660 THEN json_object('error', json_object('code', t.error_code)) END
FROM tasks t WHERE t.job_id = 'fb7k2m9q' AND t.row_no <= 660;
INSERT INTO responses (id, body)
SELECT 100000 + t.id, '{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}'
FROM tasks t WHERE t.job_id = 'fb7k2m9q' AND t.row_no = 621;

-- Attempts: the finished ones spread evenly from 11 minutes ago to 20 s ago.
INSERT INTO attempts (task_id, batch_id, job_id, attempt_no, state, http_status, response_id, output,
                      error_code, error_message, input_tokens, output_tokens, cached_tokens,
                      cost_usd, created_at, finished_at)
SELECT t.id, CASE WHEN t.row_no <= 250 THEN 1 WHEN t.row_no <= 500 THEN 2
                  WHEN t.row_no <= 750 THEN 3 WHEN t.row_no <= 965 THEN 4 ELSE 5 END,
       'fb7k2m9q', 1,
       CASE WHEN t.row_no <= 620 THEN 'succeeded' WHEN t.row_no <= 660 THEN 'failed'
            WHEN t.row_no <= 665 THEN 'expired' ELSE 'running' END,
       CASE WHEN t.row_no <= 620 THEN 200 WHEN t.row_no = 621 THEN 500 WHEN t.row_no <= 645 THEN 429
            WHEN t.row_no <= 660 THEN 400 END,
       CASE WHEN t.row_no <= 660 THEN t.id END,
       t.output,
       CASE WHEN t.row_no = 621 THEN 'server_error' ELSE t.error_code END,
       CASE WHEN t.row_no = 621 THEN 'The server had an error while processing your request.'
            WHEN t.row_no <= 645 AND t.row_no > 620 THEN
              'Rate limit reached for gpt-4o-mini in organization org-demo on requests per day (RPD): Limit 10000, Used 10000.'
            WHEN t.row_no BETWEEN 646 AND 660 THEN
              'Invalid ''messages[1].content'': string too long. Expected a string with maximum length 1048576.'
            WHEN t.row_no BETWEEN 661 AND 665 THEN 'Batch expired before this request ran.' END,
       CASE WHEN t.row_no <= 620 THEN 181 ELSE 0 END,
       CASE WHEN t.row_no <= 620 THEN 1 ELSE 0 END, 0,
       CASE WHEN t.row_no <= 620 THEN 0.0000278 ELSE 0 END,
       (SELECT now FROM fx) - 690000,
       CASE WHEN t.row_no <= 665 THEN (SELECT now FROM fx) - 640000 + t.row_no * (1330 - t.row_no) * 620000 / 442225 END
FROM tasks t WHERE t.job_id = 'fb7k2m9q' AND t.row_no <= 990;

-- Row 621 was retried once (round 2) and failed again, on the rate limit this time.
INSERT INTO attempts (task_id, batch_id, job_id, attempt_no, state, http_status, response_id,
                      error_code, error_message, created_at, finished_at)
SELECT t.id, 6, 'fb7k2m9q', 2, 'failed', 429, 100000 + t.id,
       'rate_limit_exceeded',
       'Rate limit reached for gpt-4o-mini in organization org-demo on requests per day (RPD): Limit 10000, Used 10000.',
       (SELECT now FROM fx) - 12000, (SELECT now FROM fx) - 6000
FROM tasks t WHERE t.job_id = 'fb7k2m9q' AND t.row_no = 621;

-- Job support-triage: 200 rows, one batch, all done.
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 200)
INSERT INTO tasks (job_id, row_no, line_no, custom_id, state, input, request, request_bytes,
                   est_input_tokens, attempts, output, updated_at)
SELECT 'ctb93xq1', i, i, 'ticket-' || (4000 + i), 'succeeded',
       json_object('ticket', 4000 + i, 'body', 'Cannot log in after password reset'),
       json_object('custom_id', 'ticket-' || (4000 + i), 'params', json_object('model',
         'claude-haiku-4-5', 'max_tokens', 100, 'messages', json_array(json_object('role',
         'user', 'content', 'Triage: Cannot log in after password reset')))),
       220, 480, 1, 'account', (SELECT now FROM fx) - 5400000 FROM seq;
INSERT INTO batches (id, job_id, chunk_no, round, provider, tag, state, remote_id, remote_status,
                     n_requests, n_succeeded, n_failed, created_at, submitted_at,
                     remote_created_at, in_progress_at, finalizing_at, ended_at, expires_at,
                     updated_at)
SELECT 7, 'ctb93xq1', 1, 1, 'anthropic', 'bt-ctb93xq1-1-1', 'done', 'msgbatch_01HkcTjaV5Uf',
       'ended', 200, 200, 0, now - 7190000, now - 7180000, now - 7180000, now - 7100000,
       NULL, now - 5400000, now - 7180000 + 86400000, now - 5400000 FROM fx;
INSERT INTO attempts (task_id, batch_id, job_id, attempt_no, state, output, input_tokens,
                      output_tokens, cost_usd, created_at, finished_at)
SELECT t.id, 7, 'ctb93xq1', 1, 'succeeded', 'account', 480, 120, 0.00078,
       (SELECT now FROM fx) - 7180000, (SELECT now FROM fx) - 7000000 + t.row_no * 8000
FROM tasks t WHERE t.job_id = 'ctb93xq1';

-- Job product-tags (local, yesterday): 50 rows, 20 failed with a server error.
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 50)
INSERT INTO tasks (job_id, row_no, line_no, custom_id, state, input, request, request_bytes,
                   est_input_tokens, attempts, error_code, output, updated_at)
SELECT 'lc4p8w2z', i, i + 1, 'sku-' || (100 + i), CASE WHEN i <= 30 THEN 'succeeded' ELSE 'failed' END,
       json_object('sku', 100 + i, 'title', 'Café crème mug 🍵 ' || i),
       json_object('custom_id', 'sku-' || (100 + i), 'body', json_object('model', 'llama3.1:8b')),
       120, 420, 1, CASE WHEN i > 30 THEN 'server_error' END,
       CASE WHEN i <= 30 THEN 'kitchen, mug, ceramic' END, (SELECT now FROM fx) - 90000000
FROM seq;
INSERT INTO batches (id, job_id, chunk_no, round, provider, tag, state, remote_id, remote_status,
                     n_requests, n_succeeded, n_failed, created_at, submitted_at, ended_at,
                     updated_at)
SELECT 8, 'lc4p8w2z', 1, 1, 'local', 'bt-lc4p8w2z-1-1', 'done', NULL, 'completed', 50, 30, 20,
       now - 93500000, now - 93500000, now - 90000000, now - 90000000 FROM fx;
INSERT INTO attempts (task_id, batch_id, job_id, attempt_no, state, http_status, output,
                      error_code, error_message, input_tokens, output_tokens, cost_usd,
                      created_at, finished_at)
SELECT t.id, 8, 'lc4p8w2z', 1, t.state, CASE WHEN t.row_no <= 30 THEN 200 ELSE 500 END,
       t.output, t.error_code,
       CASE WHEN t.row_no > 30 THEN 'HTTP 500 from the local server: model runner crashed' END,
       420, 8, 0, (SELECT now FROM fx) - 93500000, (SELECT now FROM fx) - 93000000 + t.row_no * 60000
FROM tasks t WHERE t.job_id = 'lc4p8w2z';

-- Job draft-summaries: 10 rows, nothing sent yet.
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 10)
INSERT INTO tasks (job_id, row_no, line_no, custom_id, state, input, request, request_bytes,
                   est_input_tokens, updated_at)
SELECT 'dr1ft5zz', i, i, 'doc-' || i, 'pending', json_object('doc', 'Quarterly report ' || i),
       json_object('custom_id', 'doc-' || i), 100, 41000, (SELECT now FROM fx) - 180000 FROM seq;

-- Pipeline triage (examples/triage.pipeline.yaml) over 12 feedback rows, started 40 minutes
-- ago: label (openai) is done with one row failed twice; reply (anthropic, where output !=
-- "praise") skipped the three praise rows, is blocked on the failed one, has 4 rows answered
-- and 4 still running; priority (openai) is held while rows can still flow in from reply, with
-- 2 rows answered and 2 running.
INSERT INTO pipelines (id, name, path, spec, input_path, n_stages, created_at, updated_at)
SELECT 'tg7p1pe4', 'triage', 'examples/triage.pipeline.yaml', 'name: triage',
       'examples/feedback.csv', 3, now - 2400000, now - 60000 FROM fx;
INSERT INTO jobs (id, name, provider, model, endpoint, state, template_path, input_path,
                  input_format, input_fields, est_cost_usd, est_cost_std_usd, est_input_tokens,
                  est_output_tokens, pipeline_id, stage_no, stage_name, hold, created_at,
                  updated_at, finished_at)
SELECT 'tg1label', 'triage/label', 'openai', 'gpt-4o-mini', '/v1/chat/completions', 'completed',
       'examples/triage/label.tmpl', 'examples/feedback.csv', 'csv',
       '["id","customer","channel","feedback"]', 0.0009, 0.0018, 1200, 60, 'tg7p1pe4', 1,
       'label', 0, now - 2400000, now - 1500000, now - 1500000 FROM fx
UNION ALL
SELECT 'tg2reply', 'triage/reply', 'anthropic', 'claude-haiku-4-5', '/v1/messages', 'running',
       'examples/triage/reply.tmpl', 'examples/feedback.csv', 'csv',
       '["id","customer","channel","feedback"]', 0.0120, 0.0240, 1800, 720, 'tg7p1pe4', 2,
       'reply', 0, now - 2400000, now - 60000, NULL FROM fx
UNION ALL
SELECT 'tg3prio0', 'triage/priority', 'openai', 'gpt-4o-mini', '/v1/chat/completions', 'running',
       'examples/triage/priority.tmpl', 'examples/feedback.csv', 'csv',
       '["id","customer","channel","feedback"]', 0.0030, 0.0060, 2400, 36, 'tg7p1pe4', 3,
       'priority', 1, now - 2400000, now - 60000, NULL FROM fx;

-- The 12 rows; labels: rows 1, 5, 9 praise, the rest bug, feature or other; row 12 failed.
CREATE TEMP TABLE tg_rows AS
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 12)
SELECT i, CASE i % 4 WHEN 1 THEN 'praise' WHEN 2 THEN 'bug' WHEN 3 THEN 'feature'
         ELSE 'other' END AS label,
       CASE i % 4 WHEN 1 THEN 'Love how fast it is to share from the checkout!'
         WHEN 2 THEN 'Crashes when I filter in the export to CSV'
         WHEN 3 THEN 'Please let me pick the export folder'
         ELSE 'Where do I change my billing address?' END AS feedback
FROM seq;

INSERT INTO batches (id, job_id, chunk_no, round, provider, tag, state, remote_id, remote_status,
                     n_requests, n_succeeded, n_failed, created_at, submitted_at,
                     remote_created_at, in_progress_at, finalizing_at, ended_at, expires_at,
                     updated_at)
SELECT 9, 'tg1label', 1, 1, 'openai', 'bt-tg1label-1-1', 'done', 'batch_67b0c1d2e3f4', 'completed',
       12, 11, 1, now - 2390000, now - 2380000, now - 2380000, now - 2300000, now - 2000000,
       now - 1980000, now + 84000000, now - 1980000 FROM fx
UNION ALL
SELECT 10, 'tg1label', 1, 2, 'openai', 'bt-tg1label-1-2', 'done', 'batch_67b0c9a8b7c6', 'completed',
       1, 0, 1, now - 1700000, now - 1690000, now - 1690000, now - 1650000, now - 1520000,
       now - 1500000, now + 84700000, now - 1500000 FROM fx
UNION ALL
SELECT 11, 'tg2reply', 1, 1, 'anthropic', 'bt-tg2reply-1-1', 'done', 'msgbatch_01TgRp1Ab3Cd',
       'ended', 4, 4, 0, now - 1970000, now - 1960000, now - 1960000, now - 1900000, NULL,
       now - 1200000, now + 84400000, now - 1200000 FROM fx
UNION ALL
SELECT 12, 'tg2reply', 2, 1, 'anthropic', 'bt-tg2reply-2-1', 'remote', 'msgbatch_01TgRp2Ef4Gh',
       'in_progress', 4, 0, 0, now - 1960000, now - 1950000, now - 1950000, now - 1900000, NULL,
       NULL, now + 84450000, now - 60000 FROM fx
UNION ALL
SELECT 13, 'tg3prio0', 1, 1, 'openai', 'bt-tg3prio0-1-1', 'remote', 'batch_67b0d4c3b2a1',
       'in_progress', 4, 2, 0, now - 1190000, now - 1180000, now - 1180000, now - 1100000, NULL,
       NULL, now + 85200000, now - 300000 FROM fx;

-- Stage label: every row.
INSERT INTO tasks (job_id, row_no, line_no, custom_id, state, input, request, request_bytes,
                   est_input_tokens, attempts, error_code, output, updated_at)
SELECT 'tg1label', i, i + 1, 'row-' || i, CASE WHEN i = 12 THEN 'failed' ELSE 'succeeded' END,
       json_object('id', printf('fb-%04d', i), 'customer', 'Chen', 'channel', 'email',
         'feedback', feedback),
       json_object('custom_id', 'row-' || i, 'method', 'POST', 'url', '/v1/chat/completions',
         'body', json_object('model', 'gpt-4o-mini', 'max_tokens', 5, 'messages', json_array(
           json_object('role', 'user', 'content', 'Label this feedback: ' || feedback)))),
       240, 100, CASE WHEN i = 12 THEN 2 ELSE 1 END,
       CASE WHEN i = 12 THEN 'server_error' END, CASE WHEN i < 12 THEN label END,
       (SELECT now FROM fx) - 1500000
FROM tg_rows;
INSERT INTO attempts (task_id, batch_id, job_id, attempt_no, state, http_status, output,
                      error_code, error_message, input_tokens, output_tokens, cost_usd,
                      created_at, finished_at)
SELECT t.id, 9, 'tg1label', 1, t.state, CASE WHEN t.row_no = 12 THEN 500 ELSE 200 END, t.output,
       t.error_code,
       CASE WHEN t.row_no = 12 THEN 'The server had an error while processing your request.' END,
       CASE WHEN t.row_no = 12 THEN 0 ELSE 98 END, CASE WHEN t.row_no = 12 THEN 0 ELSE 1 END,
       CASE WHEN t.row_no = 12 THEN 0 ELSE 0.00005 END,
       (SELECT now FROM fx) - 2380000, (SELECT now FROM fx) - 2000000 + t.row_no * 1000
FROM tasks t WHERE t.job_id = 'tg1label';
INSERT INTO attempts (task_id, batch_id, job_id, attempt_no, state, http_status, error_code,
                      error_message, created_at, finished_at)
SELECT t.id, 10, 'tg1label', 2, 'failed', 500, 'server_error',
       'The server had an error while processing your request.',
       (SELECT now FROM fx) - 1690000, (SELECT now FROM fx) - 1510000
FROM tasks t WHERE t.job_id = 'tg1label' AND t.row_no = 12;

-- Stage reply: the rows that are not praise; rows 2-6 answered, 7-11 still running.
INSERT INTO pipeline_skips (job_id, row_no) SELECT 'tg2reply', i FROM tg_rows WHERE label = 'praise';
INSERT INTO tasks (job_id, row_no, line_no, custom_id, state, input, request, request_bytes,
                   est_input_tokens, attempts, output, updated_at)
SELECT 'tg2reply', i, i + 1, 'row-' || i, CASE WHEN i <= 6 THEN 'succeeded' ELSE 'running' END,
       json_object('id', printf('fb-%04d', i), 'customer', 'Chen', 'channel', 'email',
         'feedback', feedback, 'label.output', label, 'prev.output', label),
       json_object('custom_id', 'row-' || i, 'params', json_object('model', 'claude-haiku-4-5',
         'max_tokens', 60, 'messages', json_array(json_object('role', 'user', 'content',
         'A customer wrote this ' || label || ' through email: ' || feedback)))),
       300, 150, 1,
       CASE WHEN i <= 6 THEN 'Thanks Chen, we are on it and will write back within a day.' || char(10)
         || '(draft)' END,
       (SELECT now FROM fx) - 60000
FROM tg_rows WHERE label <> 'praise' AND i < 12;
INSERT INTO attempts (task_id, batch_id, job_id, attempt_no, state, output, input_tokens,
                      output_tokens, cost_usd, created_at, finished_at)
SELECT t.id, CASE WHEN t.row_no <= 6 THEN 11 ELSE 12 END, 'tg2reply', 1, t.state, t.output,
       CASE WHEN t.row_no <= 6 THEN 150 ELSE 0 END, CASE WHEN t.row_no <= 6 THEN 18 ELSE 0 END,
       CASE WHEN t.row_no <= 6 THEN 0.0009 ELSE 0 END, (SELECT now FROM fx) - 1960000,
       CASE WHEN t.row_no <= 6 THEN (SELECT now FROM fx) - 1300000 + t.row_no * 10000 END
FROM tasks t WHERE t.job_id = 'tg2reply';

-- Stage priority (held): the rows reply answered; 2 and 3 rated, 4 and 6 running.
INSERT INTO tasks (job_id, row_no, line_no, custom_id, state, input, request, request_bytes,
                   est_input_tokens, attempts, output, updated_at)
SELECT 'tg3prio0', i, i + 1, 'row-' || i, CASE WHEN i <= 3 THEN 'succeeded' ELSE 'running' END,
       json_object('id', printf('fb-%04d', i), 'customer', 'Chen', 'channel', 'email',
         'feedback', feedback, 'label.output', label),
       json_object('custom_id', 'row-' || i, 'body', json_object('model', 'gpt-4o-mini',
         'max_tokens', 3)),
       200, 120, 1, CASE i WHEN 2 THEN 'high' WHEN 3 THEN 'low' END, (SELECT now FROM fx) - 300000
FROM tg_rows WHERE label <> 'praise' AND i <= 6;
INSERT INTO attempts (task_id, batch_id, job_id, attempt_no, state, output, input_tokens,
                      output_tokens, cost_usd, created_at, finished_at)
SELECT t.id, 13, 'tg3prio0', 1, t.state, t.output, CASE WHEN t.row_no <= 3 THEN 118 ELSE 0 END,
       CASE WHEN t.row_no <= 3 THEN 1 ELSE 0 END, CASE WHEN t.row_no <= 3 THEN 0.00006 ELSE 0 END,
       (SELECT now FROM fx) - 1180000,
       CASE WHEN t.row_no <= 3 THEN (SELECT now FROM fx) - 400000 + t.row_no * 20000 END
FROM tasks t WHERE t.job_id = 'tg3prio0';
DROP TABLE tg_rows;

-- A job's running rows all sit in batches; make last_attempt_id point at the newest attempt.
UPDATE tasks SET last_attempt_id = (SELECT a.id FROM attempts a WHERE a.task_id = tasks.id
                                    ORDER BY a.attempt_no DESC LIMIT 1);

-- Results of the ended batches (and of the finalizing one, already applied above) are in the
-- store; the batch in progress has reported 82 requests done that are not downloaded yet.
UPDATE batches SET results_state = 'ingested' WHERE id IN (1, 2, 3, 6, 7, 8);
UPDATE batches SET n_succeeded = 80, n_failed = 2 WHERE id = 4;
-- The provider's files: every created batch has its input; a completed one its output (and
-- its errors when some requests failed).
UPDATE batches SET input_file_id = 'file-in' || substr(remote_id, 7) WHERE remote_id IS NOT NULL;
UPDATE batches SET output_file_id = 'file-out' || substr(remote_id, 7) WHERE remote_status = 'completed';
UPDATE batches SET error_file_id = 'file-err' || substr(remote_id, 7)
  WHERE remote_status = 'completed' AND n_failed > 0;

INSERT INTO task_inputs (task_id, input, request) SELECT id, input, request FROM tasks;
ALTER TABLE tasks DROP COLUMN input;
ALTER TABLE tasks DROP COLUMN request;

-- When the attempts above finished, as the store keeps it (migration 11).
INSERT INTO finish_log (job_id, at, n, cost_usd)
SELECT job_id, finished_at, count(*), total(cost_usd) FROM attempts
WHERE finished_at IS NOT NULL GROUP BY 1, 2;
