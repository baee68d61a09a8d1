// Package run evaluates one endpoint on one eval set: a bounded pool of workers sends
// the requests, a single consumer scores each answer, appends it to a journal as it
// arrives and shows progress; at the end the result file is written atomically.
//
// Requests are streamed by default (Config.NoStream turns it off): the answer is
// assembled by client.ChatStream so that it scores as the same reply unstreamed, and
// each record keeps the reply's timing (TTFT, TPOT, E2EL, in vLLM's definitions).
//
// Nothing computed is lost: an interrupted run leaves its journal and a result marked
// incomplete, and Resume continues from the journal without repeating finished items.
// One output has one writer: a run holds a lock on OUT.lock for its whole length.
//
// With Config.Shard the run evaluates one shard of the set and records it for
// result.Merge (shard.go).
package run
