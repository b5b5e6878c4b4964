/** The printed table: one row per figure, with what it is compared against and the ratio. */
import type { BandwidthResult, BytesPerToken } from "./bench-bandwidth.js";
import type { DaemonResult } from "./bench-daemon.js";
import type { FollowUpResult } from "./bench-follow-up.js";
import type { PipelineResult } from "./bench-pipeline.js";
import type { PrefixResult } from "./bench-prefix.js";
import type { QueueResult } from "./bench-queue.js";
import { RUNS } from "./bench-stats.js";
import type { ThreadsResult } from "./bench-threads.js";

export interface Row {
  readonly metric: string;
  readonly value: string;
  readonly against: string;
  readonly ratio: string;
}

/** A section's result, or why it has none. */
export type Outcome<T> = { readonly ok: true; readonly result: T } | { readonly ok: false; readonly error: string };

export interface AllResults {
  readonly bandwidth: Outcome<BandwidthResult>;
  readonly threads: Outcome<ThreadsResult>;
  readonly pipeline: Outcome<PipelineResult>;
  readonly bytesPerToken: Outcome<BytesPerToken>;
  readonly followUp: Outcome<FollowUpResult>;
  readonly prefix: Outcome<PrefixResult>;
  readonly daemon: Outcome<DaemonResult>;
  readonly queue: Outcome<QueueResult>;
}

const ms = (value: number) => `${Math.round(value).toLocaleString("en-US")} ms`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;
const tps = (value: number) => `${value.toFixed(value < 10 ? 2 : 1)} tok/s`;
const times = (value: number) => `${value.toFixed(value < 0.01 ? 3 : value < 10 ? 2 : 1)}×`;

function failed(metric: string, outcome: { ok: false; error: string }): Row {
  return { metric, value: "failed", against: outcome.error.split("\n")[0]!.slice(0, 100), ratio: "—" };
}

export function buildRows(all: AllResults): Row[] {
  const rows: Row[] = [];
  const { pipeline, followUp, prefix, bandwidth, bytesPerToken, threads, daemon, queue } = all;

  if (pipeline.ok) {
    const p = pipeline.result;
    rows.push({
      metric: "decode, burrow ask → queue → worker → agent",
      value: tps(p.burrowAsk.decodeTokensPerSecond.median),
      against: `node-llama-cpp direct ${tps(p.direct.decodeTokensPerSecond.median)}`,
      ratio: `${times(p.decodeRatio)} (${((p.decodeRatio - 1) * 100).toFixed(1)} %)`,
    });
  } else rows.push(failed("decode, burrow ask vs direct", pipeline));

  if (followUp.ok) {
    const f = followUp.result;
    rows.push({
      metric: `follow-up TTFT, ${f.settings.historyTextTokens.toLocaleString("en-US")}-token history, state restored`,
      value: ms(f.restored.firstTokenMs.median),
      against: `cold, no states: ${ms(f.cold.firstTokenMs.median)}`,
      ratio: `${times(f.speedup)} faster`,
    });
  } else rows.push(failed("follow-up TTFT, restored vs cold", followUp));

  if (prefix.ok) {
    const p = prefix.result;
    rows.push({
      metric: `new-chat TTFT, saved ${p.prefix.tokens}-token agent prefix (restore incl.)`,
      value: `${ms(p.saved.firstTokenWithRestoreMs.median)} (restore ${ms(p.saved.prefixRestoreMs.median)})`,
      against: `without saved prefix: ${ms(p.cold.firstTokenMs.median)}`,
      ratio: `${times(p.speedup)} faster (${times(p.speedupAfterStartup)} w/o restore)`,
    });
  } else rows.push(failed("new-chat TTFT, saved prefix vs without", prefix));

  if (pipeline.ok && bytesPerToken.ok && bandwidth.ok) {
    const decode = pipeline.result.direct.decodeTokensPerSecond.median;
    const bytes = bytesPerToken.result.weightBytes + bytesPerToken.result.kvBytesAtPosition;
    const achieved = (decode * bytes) / 1e9;
    const parallel = bandwidth.result.parallel;
    const single = bandwidth.result.singleThread;
    rows.push({
      metric: `decode × bytes/token (${tps(decode)} × ${mb(bytes)})`,
      value: `${achieved.toFixed(2)} GB/s`,
      against: `memcmp, best round: ${parallel.run.threads} threads ${parallel.bestGBps.toFixed(1)} GB/s, 1 thread ${single.bestGBps.toFixed(1)}`,
      ratio: `${((achieved / Math.max(parallel.bestGBps, single.bestGBps)) * 100).toFixed(0)} % of bandwidth`,
    });
  } else {
    const reason = [pipeline, bytesPerToken, bandwidth].find((o) => !o.ok) as { ok: false; error: string };
    rows.push(failed("decode × bytes/token vs bandwidth", reason));
  }

  if (threads.ok) {
    const variants = threads.result.variants;
    const best = Math.max(...variants.map((v) => v.decodeTokensPerSecond.median));
    const bestLabel = variants.find((v) => v.decodeTokensPerSecond.median === best)!.label;
    for (const v of variants) {
      const label = v.requested === null ? `library default (${v.currentThreads} threads)` : v.label;
      const fewer = v.samples.length < RUNS ? ` (${v.samples.length} run${v.samples.length === 1 ? "" : "s"}: slow)` : "";
      rows.push({ metric: `decode, ${label}`, value: `${tps(v.decodeTokensPerSecond.median)}${fewer}`, against: `fastest: ${bestLabel}`, ratio: times(v.decodeTokensPerSecond.median / best) });
    }
  } else rows.push(failed("decode by threads", threads));

  if (daemon.ok) {
    const d = daemon.result;
    const withModel = pipeline.ok ? pipeline.result.daemonWithModel.daemon.rssBytes : undefined;
    rows.push({
      metric: "idle RSS, daemon without model (tiny test model)",
      value: `${mb(d.daemon.rssBytes.median)} + redis-server ${mb(d.redis.rssBytes.median)}`,
      against: withModel === undefined ? "—" : `daemon with 0.5B-shaped model: ${mb(withModel)}`,
      ratio: withModel === undefined ? "—" : `model adds ${mb(withModel - d.daemon.rssBytes.median)}`,
    });
  } else rows.push(failed("idle RSS of the daemon", daemon));

  if (queue.ok) {
    const q = queue.result;
    const decode = pipeline.ok ? pipeline.result.direct.decodeTokensPerSecond.median : undefined;
    rows.push({
      metric: `queue overhead per job (${q.settings.jobs} jobs, one at a time)`,
      value: `${q.msPerJob.median.toFixed(2)} ms/job`,
      against: decode === undefined ? "—" : `one 0.5B decode step ${(1000 / decode).toFixed(1)} ms`,
      ratio: decode === undefined ? "—" : `${((q.msPerJob.median * decode) / 1000).toFixed(2)} tokens' time`,
    });
  } else rows.push(failed("queue overhead per job", queue));
  return rows;
}

export function formatTable(rows: readonly Row[]): string {
  const headers: Row = { metric: "metric", value: "value", against: "compared with", ratio: "ratio" };
  const keys = ["metric", "value", "against", "ratio"] as const;
  const widths = keys.map((key) => Math.max(headers[key].length, ...rows.map((row) => row[key].length)));
  const line = (row: Row) => `| ${keys.map((key, i) => row[key].padEnd(widths[i]!)).join(" | ")} |`;
  const rule = `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`;
  return [line(headers), rule, ...rows.map(line)].join("\n");
}
