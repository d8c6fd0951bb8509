-- wrk script: POST one small chat completion body (the sim's ceiling for direct calls).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench"
wrk.body = '{"model":"gpt-4o-mini","max_tokens":20,"messages":[{"role":"user","content":"Label this feedback as bug, feature, praise or other. Feedback: item 1"}]}'
