// The audit Queue's consumer in the gateway's process, for the benchmark only: one RPC per batch to the logger's
// process (bench/logger-host), then each message acked or retried as the logger decided. If the logger cannot be
// reached, the whole batch is retried.
import type { Fate, QueueRelay, RelayedMessage } from "../logger-host/worker";

interface Env {
  LOGGER: Service<QueueRelay>;
}

export default {
  async queue(batch, env) {
    const relayed: RelayedMessage[] = batch.messages.map((m) => ({
      id: m.id,
      timestamp: m.timestamp.getTime(),
      attempts: m.attempts,
      body: m.body,
    }));
    let fates: Fate[];
    try {
      fates = (await env.LOGGER.consume(batch.queue, relayed)) as Fate[];
    } catch (err) {
      console.error(`audit relay: logger unreachable, batch retried: ${String(err)}`);
      batch.retryAll({ delaySeconds: 1 });
      return;
    }
    batch.messages.forEach((m, i) => {
      const fate = fates[i];
      if (fate?.ack) m.ack();
      else
        m.retry(
          fate && "delaySeconds" in fate && fate.delaySeconds !== undefined ? { delaySeconds: fate.delaySeconds } : {},
        );
    });
  },
} satisfies ExportedHandler<Env, unknown>;
