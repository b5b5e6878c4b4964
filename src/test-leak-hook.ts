import { spawn } from "node:child_process";
import type { Logger } from "./log.js";

/**
 * TEST-ONLY: BURROW_TEST_PLANT_LEAK=<url> makes the daemon, once started, contact that URL from a child
 * process — the kind of leak no in-process check can see (native code or a helper binary opening its own
 * socket). The network-namespace leak test (test/e2e/privacy-leak.test.ts) sets it, with its canary in the URL,
 * to prove that its packet capture catches such a leak and fails. Never set it otherwise: it exists to
 * break the privacy promise on purpose.
 */
export function plantLeakForTests(url: string, logger: Logger): void {
  logger.warn({ url }, "BURROW_TEST_PLANT_LEAK is set: contacting an outside address on purpose (test-only)");
  const child = spawn(process.execPath, ["-e", "fetch(process.argv[1], { signal: AbortSignal.timeout(3000) }).catch(() => {})", url], {
    stdio: "ignore",
    env: {},
  });
  child.on("error", (error) => logger.warn({ err: error }, "the planted test leak did not run"));
  child.unref();
}
