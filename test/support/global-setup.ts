import { execa } from "execa";

/**
 * The end-to-end tests run the built CLI (what users run), so build it once before any test.
 * BURROW_SKIP_BUILD=1 skips it for runs of tests that do not start the CLI (work in progress elsewhere in
 * the tree then cannot break them).
 */
export default async function setup(): Promise<void> {
  if (process.env["BURROW_SKIP_BUILD"] === "1") return;
  await execa("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
}
